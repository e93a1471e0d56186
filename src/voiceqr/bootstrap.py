"""The one composition root: Settings -> adapters -> application services.

Entrypoints call `build(settings)` and get a `Platform`; tests pass fakes for any
port through `overrides`. Nothing here runs at import time.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from taskiq import AsyncBroker

from voiceqr.adapters.database import migrate
from voiceqr.adapters.database.schedules import SqlScheduleClaims
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.adapters.geo import OfflineCountryLookup
from voiceqr.adapters.mail.outbox import OutboxEntry, list_outbox, read_outbox_message
from voiceqr.adapters.passwords import Argon2PasswordHasher
from voiceqr.adapters.qr import SegnoQrRenderer
from voiceqr.adapters.queue.health import QueueHealth
from voiceqr.adapters.queue.taskiq import (
    TaskiqJobs,
    memory_broker,
    queue_health,
    redis_stream_broker,
    trim_acknowledged,
)
from voiceqr.adapters.secret_box import FernetSecretBox
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.api_keys import ApiKeys
from voiceqr.application.accounts.policy import AccountPolicy
from voiceqr.application.accounts.ports import (
    OneTimeKeys,
    OpenIdProvider,
    PasswordHasher,
    SessionStore,
)
from voiceqr.application.accounts.social_sign_in import SocialSignIn
from voiceqr.application.accounts.two_factor import TwoFactor
from voiceqr.application.generations.batch import GenerationBatches
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.mail.notifications import MailDelivery, Notifications
from voiceqr.application.mail.ports import Mailer
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.platform import PlatformUnitOfWork
from voiceqr.application.playback.playback import Playback
from voiceqr.application.profile.preferences import Preferences
from voiceqr.application.shared.jobs import Jobs, ScheduleClaims
from voiceqr.application.shared.ports import (
    AudioStorage,
    CountryLookup,
    QrRenderer,
    RateLimiter,
    SpeechSynthesizer,
    UnitOfWorkFactory,
)
from voiceqr.application.voices.gallery import VoiceGallery, VoiceSpec
from voiceqr.domain.generations.generation import RetryPolicy
from voiceqr.domain.operations.failure_monitoring import AlertPolicy
from voiceqr.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


# ElevenLabs' premade voices, so a new ElevenLabs installation has a gallery to pick from.
ELEVENLABS_DEFAULT_VOICES = (
    VoiceSpec(
        "Rachel",
        "21m00Tcm4TlvDq8ikWAM",
        "elevenlabs",
        "Calm, clear narration.",
        "female",
        "en",
        "US",
        "young",
        "narration",
        True,
        90,
    ),
    VoiceSpec(
        "Adam",
        "pNInz6obpgDQGcFmaJgB",
        "elevenlabs",
        "Deep, steady narration.",
        "male",
        "en",
        "US",
        "middle-aged",
        "narration",
        True,
        85,
    ),
    VoiceSpec(
        "Bella",
        "EXAVITQu4vr4xnSDxMaL",
        "elevenlabs",
        "Soft and warm.",
        "female",
        "en",
        "US",
        "young",
        "soft",
        True,
        80,
    ),
    VoiceSpec(
        "Antoni",
        "ErXwobaYiN019PkySvjV",
        "elevenlabs",
        "Well-rounded and friendly.",
        "male",
        "en",
        "US",
        "young",
        "friendly",
        True,
        75,
    ),
    VoiceSpec(
        "Domi",
        "AZnzlk1XvdvUeBnXmlld",
        "elevenlabs",
        "Strong and confident.",
        "female",
        "en",
        "US",
        "young",
        "strong",
        True,
        70,
    ),
    VoiceSpec(
        "Elli",
        "MF3mGyEYCl7XYWbV9V6O",
        "elevenlabs",
        "Emotional and lively.",
        "female",
        "en",
        "US",
        "young",
        "emotional",
        True,
        65,
    ),
    VoiceSpec(
        "Josh",
        "TxGEqnHWrfWFTfGW9XjX",
        "elevenlabs",
        "Deep and young.",
        "male",
        "en",
        "US",
        "young",
        "deep",
        True,
        60,
    ),
    VoiceSpec(
        "Arnold",
        "VR6AewLTigWG4xSOukaG",
        "elevenlabs",
        "Crisp and bold.",
        "male",
        "en",
        "US",
        "middle-aged",
        "crisp",
        True,
        55,
    ),
)


@dataclass
class Platform:
    """Everything an entrypoint needs, built from one Settings."""

    settings: Settings
    uow: UnitOfWorkFactory[PlatformUnitOfWork]
    generations: Generations
    generation_failures: GenerationFailures
    failure_monitor: FailureMonitor
    audit: AuditTrail
    generation_revisions: GenerationRevisions
    preferences: Preferences
    folders: FoldersAndTags
    voices: VoiceGallery
    accounts: Accounts
    social_sign_in: SocialSignIn = field(init=False)  # set by build(): it needs accounts
    batches: GenerationBatches = field(init=False)  # set by build(): it needs playback_url
    two_factor: TwoFactor
    api_keys: ApiKeys
    countries: CountryLookup
    mail_delivery: MailDelivery
    playback: Playback
    qr: QrRenderer
    storage: AudioStorage
    mailer: Mailer
    broker: AsyncBroker
    queue_health: QueueHealth  # what this process last saw of the broker
    schedule_claims: ScheduleClaims  # when each periodic job runs next, for all workers
    default_voices: tuple[VoiceSpec, ...]
    media_root: Path | None = None
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    @property
    def embedded(self) -> bool:
        return self.settings.is_embedded_database

    @property
    def secret_key(self) -> str:
        """VOICEQR_AUTH_SECRET_KEY, or in development one made once and kept in the data dir."""
        return _secret_key(self.settings)

    @property
    def dev_mailbox_enabled(self) -> bool:
        """Development with mail written to the data dir: sent mail may be read on a page."""
        return self.settings.env != "production" and self.settings.mail.backend == "outbox"

    async def dev_mailbox(self, limit: int = 200) -> list[OutboxEntry] | None:
        """The sent mail, newest first, once due mail is delivered; None unless enabled."""
        if not self.dev_mailbox_enabled:
            return None
        await self.mail_delivery.deliver_due()
        return await asyncio.to_thread(list_outbox, self.settings.data_path / "outbox", limit)

    async def dev_mailbox_message(self, filename: str) -> OutboxEntry | None:
        """One sent message (NotFound for an unknown name); None unless enabled."""
        if not self.dev_mailbox_enabled:
            return None
        return await asyncio.to_thread(
            read_outbox_message, self.settings.data_path / "outbox", filename
        )

    def playback_url(self, public_code: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/p/{public_code}"

    def bind_tasks(self, tasks: Mapping[str, Callable[..., Awaitable[object]]]) -> None:
        """Register job handlers by task name (worker processes, embedded serve)."""
        for name, handler in tasks.items():
            self.broker.register_task(handler, task_name=name)

    async def upgrade_database(self, revision: str = "head") -> None:
        if self.embedded:
            self.settings.data_path.mkdir(parents=True, exist_ok=True)
        await migrate.upgrade(self._engine(), revision)

    async def downgrade_database(self, revision: str) -> None:
        await migrate.downgrade(self._engine(), revision)

    async def database_revision(self) -> str | None:
        return await migrate.current(self._engine())

    async def start(self, *, worker: bool = False) -> None:
        """Open connections; in embedded mode also migrate and seed a new data directory."""
        if self.embedded:
            await self.upgrade_database()
            seeded = await self.voices.seed(self.default_voices)
            if seeded:
                log.info("seeded %d default voices", seeded)
        self.broker.is_worker_process = worker
        try:
            await self.broker.startup()
        except Exception:
            if worker:
                raise
            # Only workers need the broker to start. The web app and the CLI keep taking
            # requests: generations wait as pending and a worker's sweep sends them later.
            log.warning("the queue broker is unreachable; generations will wait", exc_info=True)

    async def stop(self) -> None:
        await self.broker.shutdown()
        for close in reversed(self._closers):
            result = close()
            if hasattr(result, "__await__"):
                await result

    async def readiness(self) -> dict[str, str]:
        """Each dependency and 'ok' or what is wrong (for /readyz)."""
        report: dict[str, str] = {}
        for name, check in (("database", self.uow.check), ("storage", self.storage.check)):
            try:
                await check()
                report[name] = "ok"
            except Exception as exc:
                report[name] = f"unavailable: {type(exc).__name__}"
        report["queue"] = await self._queue_status()
        return report

    async def _queue_status(self) -> str:
        state = await self.queue_health.check(max_age=0)
        return "ok" if state.reachable else f"unavailable: {state.reason}"

    async def trim_queue(self) -> int:
        """Drop the jobs every worker has acknowledged from the broker; returns how many."""
        return await trim_acknowledged(self.broker)

    def _engine(self) -> Any:
        uow = self.uow
        if not isinstance(uow, SqlUnitOfWorkFactory):
            raise RuntimeError("Migrations need the SQL database.")
        return uow.engine


def _secret_key(settings: Settings) -> str:
    if settings.auth.secret_key:
        return settings.auth.secret_key
    path = settings.data_path / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def build(settings: Settings, **overrides: Any) -> Platform:
    """Wire the platform. Overrides (by port name) replace adapters, e.g. speech={...}."""
    closers: list[Callable[[], Any]] = []
    clock: Callable[[], datetime] = overrides.get("clock", utc_now)
    data = settings.data_path

    uow: UnitOfWorkFactory[PlatformUnitOfWork]
    if "uow" in overrides:
        uow = overrides["uow"]
    else:
        sql = SqlUnitOfWorkFactory(create_engine(settings.database_url))
        closers.append(sql.dispose)
        uow = sql

    media_root: Path | None = None
    storage: AudioStorage
    if "storage" in overrides:
        storage = overrides["storage"]
    elif settings.storage.backend == "s3":
        from voiceqr.adapters.storage.s3 import S3AudioStorage

        s3 = settings.storage
        storage = S3AudioStorage(
            bucket=s3.s3_bucket,
            region=s3.s3_region,
            endpoint_url=s3.s3_endpoint_url or None,
            access_key_id=s3.s3_access_key_id or None,
            secret_access_key=s3.s3_secret_access_key or None,
            public_base_url=s3.s3_public_base_url or None,
            presign_seconds=s3.s3_presign_seconds,
        )
    else:
        from voiceqr.adapters.storage.local import LocalAudioStorage

        media_root = data / "media"
        storage = LocalAudioStorage(media_root, url_prefix="/media")

    speech: Mapping[str, SpeechSynthesizer] = overrides.get("speech") or _speech(settings, closers)
    mailer: Mailer = overrides.get("mailer") or _mailer(settings)
    broker: AsyncBroker = overrides.get("broker") or (
        redis_stream_broker(settings.queue.redis_url, settings.queue.stream)
        if settings.queue.backend == "redis"
        else memory_broker()
    )
    jobs: Jobs = overrides.get("jobs") or TaskiqJobs(broker)
    hasher: PasswordHasher = overrides.get("hasher") or Argon2PasswordHasher()
    session_store: SessionStore
    limits: RateLimiter
    if settings.sessions.backend == "redis":
        from redis.asyncio import Redis

        from voiceqr.adapters.redis.rate_limits import RedisRateLimiter
        from voiceqr.adapters.redis.sessions import RedisSessionStore

        client = Redis.from_url(settings.sessions.redis_url, socket_connect_timeout=2)
        closers.append(client.aclose)
        session_store = overrides.get("session_store") or RedisSessionStore(client)
        limits = overrides.get("limits") or RedisRateLimiter(client)
    else:
        from voiceqr.adapters.database.sessions import SqlSessionStore
        from voiceqr.adapters.memory.rate_limits import MemoryRateLimiter

        if "session_store" in overrides:
            session_store = overrides["session_store"]
        elif isinstance(uow, SqlUnitOfWorkFactory):
            session_store = SqlSessionStore(uow.engine)
        else:
            raise ValueError("pass session_store= with a fake unit of work")
        limits = overrides.get("limits") or MemoryRateLimiter()
    qr: QrRenderer = overrides.get("qr") or SegnoQrRenderer()
    two_factor = TwoFactor(
        uow=uow,
        hasher=hasher,
        limits=limits,
        # The key is read on first use: building the platform touches no file.
        secret_box=overrides.get("secret_box") or FernetSecretBox(lambda: _secret_key(settings)),
        qr=qr,
        clock=clock,
    )

    generations = Generations(
        uow=uow,
        jobs=jobs,
        speech=speech,
        storage=storage,
        clock=clock,
        retry_policy=RetryPolicy(
            max_attempts=settings.jobs.max_attempts, base_seconds=settings.jobs.retry_base_seconds
        ),
        lease=timedelta(seconds=settings.jobs.lease_seconds),
        requeue_after=timedelta(seconds=settings.jobs.requeue_after_seconds),
        notifications=Notifications(public_base_url=settings.public_base_url, clock=clock),
    )
    platform = Platform(
        settings=settings,
        uow=uow,
        generations=generations,
        generation_failures=GenerationFailures(
            uow=uow,
            notifications=Notifications(public_base_url=settings.public_base_url, clock=clock),
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        generation_revisions=GenerationRevisions(
            uow=uow,
            speech=speech,
            storage=storage,
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        failure_monitor=FailureMonitor(
            uow=uow,
            notifications=Notifications(public_base_url=settings.public_base_url, clock=clock),
            clock=clock,
            policy=AlertPolicy(
                threshold=settings.alerts.failure_rate_threshold,
                window=timedelta(minutes=settings.alerts.window_minutes),
                min_attempts=settings.alerts.min_attempts,
                cooldown=timedelta(minutes=settings.alerts.cooldown_minutes),
            ),
        ),
        audit=AuditTrail(uow=uow),
        preferences=Preferences(uow=uow, clock=clock),
        folders=FoldersAndTags(uow=uow, clock=clock),
        voices=VoiceGallery(uow=uow, storage=storage, speech=speech, clock=clock),
        accounts=Accounts(
            uow=uow,
            sessions=session_store,
            hasher=hasher,
            limits=limits,
            notifications=Notifications(public_base_url=settings.public_base_url, clock=clock),
            clock=clock,
            policy=AccountPolicy(
                session_idle=timedelta(minutes=settings.sessions.idle_minutes),
                session_absolute=timedelta(hours=settings.sessions.absolute_hours),
                remember_me=timedelta(days=settings.sessions.remember_days),
                activity_retention=timedelta(days=settings.auth.activity_retention_days),
                sign_in_limit=(settings.auth.sign_in_per_minute, 60),
                email_limit=(settings.auth.emails_per_hour, 3600),
            ),
            second_factor=two_factor.check_at_sign_in,
        ),
        two_factor=two_factor,
        api_keys=ApiKeys(
            uow=uow,
            clock=clock,
            rotation_grace=timedelta(hours=settings.auth.api_key_rotation_grace_hours),
        ),
        mail_delivery=MailDelivery(uow=uow, mailer=mailer, clock=clock),
        countries=overrides.get("countries") or OfflineCountryLookup(),
        playback=Playback(uow=uow, storage=storage, clock=clock),
        qr=qr,
        storage=storage,
        mailer=mailer,
        broker=broker,
        queue_health=queue_health(broker),
        schedule_claims=overrides.get("schedule_claims") or _schedule_claims(uow),
        default_voices=overrides.get("default_voices") or _default_voices(settings),
        media_root=media_root,
        _closers=closers,
    )
    platform.social_sign_in = SocialSignIn(
        providers=overrides["openid_providers"]
        if "openid_providers" in overrides
        else _openid_providers(settings, closers),
        accounts=platform.accounts,
        uow=uow,
        one_time_keys=overrides.get("one_time_keys") or _one_time_keys(settings, closers),
        notifications=Notifications(public_base_url=settings.public_base_url, clock=clock),
        clock=clock,
        secret=lambda: _secret_key(settings),
        second_factor=two_factor.check_at_sign_in,
    )
    platform.batches = GenerationBatches(
        uow=uow,
        generations=platform.generations,
        folders_and_tags=platform.folders,
        playback=platform.playback,
        storage=storage,
        qr=qr,
        playback_url=platform.playback_url,
    )
    return platform


def _schedule_claims(uow: UnitOfWorkFactory[PlatformUnitOfWork]) -> ScheduleClaims:
    if not isinstance(uow, SqlUnitOfWorkFactory):
        raise ValueError("pass schedule_claims= with a fake unit of work")
    return SqlScheduleClaims(uow.engine)


def _speech(settings: Settings, closers: list[Callable[[], Any]]) -> dict[str, SpeechSynthesizer]:
    speech: dict[str, SpeechSynthesizer] = {}
    for provider in settings.speech_providers:
        if provider == "espeak":
            from voiceqr.adapters.speech.espeak import EspeakSynthesizer

            speech[provider] = EspeakSynthesizer(max_text_length=settings.speech.espeak_max_chars)
        elif provider == "elevenlabs":
            from voiceqr.adapters.speech.elevenlabs import ElevenLabsSynthesizer

            s = settings.speech
            eleven = ElevenLabsSynthesizer(
                api_key=s.elevenlabs_api_key,
                base_url=s.elevenlabs_base_url,
                model_id=s.elevenlabs_model_id,
                timeout=s.elevenlabs_timeout_seconds,
                max_text_length=s.elevenlabs_max_chars,
            )
            closers.append(eleven.aclose)
            speech[provider] = eleven
    return speech


def _mailer(settings: Settings) -> Mailer:
    mail = settings.mail
    if mail.backend == "smtp":
        from voiceqr.adapters.mail.smtp import SmtpMailer

        return SmtpMailer(
            host=mail.smtp_host,
            port=mail.smtp_port,
            sender=mail.sender,
            username=mail.smtp_username or None,
            password=mail.smtp_password or None,
            security=mail.smtp_security,
        )
    from voiceqr.adapters.mail.outbox import OutboxDirectoryMailer

    return OutboxDirectoryMailer(settings.data_path / "outbox", sender=mail.sender)


def _default_voices(settings: Settings) -> tuple[VoiceSpec, ...]:
    specs: list[VoiceSpec] = []
    if "espeak" in settings.speech_providers:
        from voiceqr.adapters.speech.espeak import DEFAULT_VOICES

        specs += [
            VoiceSpec(
                name=v.name,
                provider_voice_id=v.provider_voice_id,
                provider="espeak",
                description=v.description,
                type=v.type,
                language=v.language,
                region=v.region,
                age=v.age,
                style=v.style,
                published=True,
                priority=v.priority,
            )
            for v in DEFAULT_VOICES
        ]
    if "elevenlabs" in settings.speech_providers:
        specs += ELEVENLABS_DEFAULT_VOICES
    return tuple(specs)


def _openid_providers(
    settings: Settings, closers: list[Callable[[], Any]]
) -> dict[str, OpenIdProvider]:
    """Google and Microsoft sign-in, each only when its client id is set."""
    from voiceqr.adapters.oidc import OpenIdConnectProvider

    auth = settings.auth
    providers: dict[str, OpenIdProvider] = {}
    for name, label, issuer, client_id, client_secret in (
        ("google", "Google", auth.google_issuer, auth.google_client_id, auth.google_client_secret),
        (
            "microsoft",
            "Microsoft",
            auth.microsoft_issuer,
            auth.microsoft_client_id,
            auth.microsoft_client_secret,
        ),
    ):
        if client_id:
            provider = OpenIdConnectProvider(
                name=name,
                label=label,
                issuer=issuer,
                client_id=client_id,
                client_secret=client_secret,
            )
            closers.append(provider.aclose)
            providers[name] = provider
    return providers


def _one_time_keys(settings: Settings, closers: list[Callable[[], Any]]) -> OneTimeKeys:
    """Where single-use sign-in states are remembered: Redis beside the sessions, or memory."""
    if settings.sessions.backend == "redis":
        from redis.asyncio import Redis

        from voiceqr.adapters.redis.one_time_keys import RedisOneTimeKeys

        client = Redis.from_url(settings.sessions.redis_url, socket_connect_timeout=2)
        closers.append(client.aclose)
        return RedisOneTimeKeys(client)
    from voiceqr.adapters.memory.one_time_keys import MemoryOneTimeKeys

    return MemoryOneTimeKeys()
