"""The adapter behind each port: the one a test passes in, else the one settings choose.

Every `if settings.X.backend == ...` of the platform is here, so a new backend is a
change to this module and its settings only.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from taskiq import AsyncBroker

from voiceqr.adapters.audio.samples import SoundfileSampleAudio
from voiceqr.adapters.database.schedules import SqlScheduleClaims
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.adapters.geo import OfflineCountryLookup
from voiceqr.adapters.memory.playback_events import BufferedPlaybackEvents
from voiceqr.adapters.passwords import Argon2PasswordHasher
from voiceqr.adapters.qr import SegnoQrRenderer
from voiceqr.adapters.queue.taskiq import TaskiqJobs, memory_broker
from voiceqr.adapters.secret_box import FernetSecretBox
from voiceqr.adapters.useragents import PackagedUserAgentReader
from voiceqr.application.accounts.ports import (
    OneTimeKeys,
    OpenIdProvider,
    PasswordHasher,
    SecretBox,
    SessionStore,
)
from voiceqr.application.mail.ports import Mailer
from voiceqr.application.platform import PlatformUnitOfWork
from voiceqr.application.playback.ports import PlaybackEventLog, UserAgentReader
from voiceqr.application.shared.jobs import Jobs, ScheduleClaims
from voiceqr.application.shared.ports import (
    AudioStorage,
    CountryLookup,
    QrRenderer,
    RateLimiter,
    SpeechSynthesizer,
    UnitOfWorkFactory,
)
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.application.voices.ports import SampleAudio
from voiceqr.bootstrap.voices import default_voices
from voiceqr.bootstrap.word_lists import load_word_lists
from voiceqr.domain.moderation.text_filter import FilterTerm
from voiceqr.settings import Settings

Closers = list[Callable[[], Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Adapters:
    """Port overrides for `build`: each one given replaces the adapter settings choose."""

    uow: UnitOfWorkFactory[PlatformUnitOfWork] | None = None
    storage: AudioStorage | None = None
    speech: Mapping[str, SpeechSynthesizer] | None = None
    mailer: Mailer | None = None
    broker: AsyncBroker | None = None
    jobs: Jobs | None = None
    hasher: PasswordHasher | None = None
    session_store: SessionStore | None = None
    limits: RateLimiter | None = None
    secret_box: SecretBox | None = None
    qr: QrRenderer | None = None
    countries: CountryLookup | None = None
    openid_providers: Mapping[str, OpenIdProvider] | None = None
    one_time_keys: OneTimeKeys | None = None
    schedule_claims: ScheduleClaims | None = None
    clock: Callable[[], datetime] | None = None
    default_voices: tuple[VoiceSpec, ...] | None = None
    word_lists: tuple[FilterTerm, ...] | None = None  # the text filter's shipped lists
    playback_events: PlaybackEventLog | None = None
    user_agents: UserAgentReader | None = None
    sample_audio: SampleAudio | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Backends:
    """The adapter chosen for every port, and what to close when the platform stops."""

    uow: UnitOfWorkFactory[PlatformUnitOfWork]
    storage: AudioStorage
    media_root: Path | None  # where local audio files are served from; None in S3
    speech: Mapping[str, SpeechSynthesizer]
    mailer: Mailer
    broker: AsyncBroker
    jobs: Jobs
    hasher: PasswordHasher
    session_store: SessionStore
    limits: RateLimiter
    secret_box: SecretBox
    qr: QrRenderer
    countries: CountryLookup
    openid_providers: Mapping[str, OpenIdProvider]
    one_time_keys: OneTimeKeys
    schedule_claims: ScheduleClaims
    clock: Callable[[], datetime]
    default_voices: tuple[VoiceSpec, ...]
    word_lists: tuple[FilterTerm, ...]
    playback_events: PlaybackEventLog
    user_agents: UserAgentReader
    sample_audio: SampleAudio
    closers: Closers


def choose(settings: Settings, given: Adapters) -> Backends:
    """Each port's adapter: the one given, else the one its setting names."""
    closers: Closers = []
    uow = given.uow
    if uow is None:
        sql = SqlUnitOfWorkFactory(create_engine(settings.database_url))
        closers.append(sql.dispose)
        uow = sql
    media_root: Path | None = None
    storage = given.storage
    if storage is None:
        storage, media_root = _storage(settings)
    broker = given.broker or _broker(settings)
    session_store, limits = _sessions(settings, given, uow, closers)
    return Backends(
        uow=uow,
        storage=storage,
        media_root=media_root,
        speech=given.speech or _speech(settings, closers),
        mailer=given.mailer or _mailer(settings),
        broker=broker,
        jobs=given.jobs or TaskiqJobs(broker),
        hasher=given.hasher or Argon2PasswordHasher(),
        session_store=session_store,
        limits=limits,
        # The key is read on first use: building the platform touches no file.
        secret_box=given.secret_box or FernetSecretBox(lambda: secret_key(settings)),
        qr=given.qr or SegnoQrRenderer(),
        countries=given.countries or OfflineCountryLookup(),
        openid_providers=given.openid_providers
        if given.openid_providers is not None
        else _openid_providers(settings, closers),
        one_time_keys=given.one_time_keys or _one_time_keys(settings, closers),
        schedule_claims=given.schedule_claims or _schedule_claims(uow),
        clock=given.clock or utc_now,
        default_voices=given.default_voices or default_voices(settings),
        word_lists=load_word_lists() if given.word_lists is None else given.word_lists,
        playback_events=given.playback_events or _playback_events(settings, closers),
        user_agents=given.user_agents or PackagedUserAgentReader(),
        sample_audio=given.sample_audio or SoundfileSampleAudio(),
        closers=closers,
    )


def secret_key(settings: Settings) -> str:
    """VOICEQR_AUTH_SECRET_KEY, or in development one made once and kept in the data dir."""
    if settings.auth.secret_key:
        return settings.auth.secret_key
    path = settings.data_path / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _storage(settings: Settings) -> tuple[AudioStorage, Path | None]:
    if settings.storage.backend == "s3":
        from voiceqr.adapters.storage.s3 import S3AudioStorage

        s3 = settings.storage
        return S3AudioStorage(
            bucket=s3.s3_bucket,
            region=s3.s3_region,
            endpoint_url=s3.s3_endpoint_url or None,
            access_key_id=s3.s3_access_key_id or None,
            secret_access_key=s3.s3_secret_access_key or None,
            public_base_url=s3.s3_public_base_url or None,
            presign_seconds=s3.s3_presign_seconds,
        ), None
    from voiceqr.adapters.storage.local import LocalAudioStorage

    media_root = settings.data_path / "media"
    return LocalAudioStorage(media_root, url_prefix="/media"), media_root


def _sessions(
    settings: Settings,
    given: Adapters,
    uow: UnitOfWorkFactory[PlatformUnitOfWork],
    closers: Closers,
) -> tuple[SessionStore, RateLimiter]:
    """Sessions and rate limits: both in Redis, or in the database and in memory."""
    if settings.sessions.backend == "redis":
        from redis.asyncio import Redis

        from voiceqr.adapters.redis.rate_limits import RedisRateLimiter
        from voiceqr.adapters.redis.sessions import RedisSessionStore

        client = Redis.from_url(settings.sessions.redis_url, socket_connect_timeout=2)
        closers.append(client.aclose)
        return (
            given.session_store or RedisSessionStore(client),
            given.limits or RedisRateLimiter(client),
        )
    from voiceqr.adapters.database.sessions import SqlSessionStore
    from voiceqr.adapters.memory.rate_limits import MemoryRateLimiter

    session_store = given.session_store
    if session_store is None:
        if not isinstance(uow, SqlUnitOfWorkFactory):
            raise ValueError("pass session_store= with a fake unit of work")
        session_store = SqlSessionStore(uow.engine)
    return session_store, given.limits or MemoryRateLimiter()


def _schedule_claims(uow: UnitOfWorkFactory[PlatformUnitOfWork]) -> ScheduleClaims:
    if not isinstance(uow, SqlUnitOfWorkFactory):
        raise ValueError("pass schedule_claims= with a fake unit of work")
    return SqlScheduleClaims(uow.engine)


def _speech(settings: Settings, closers: Closers) -> dict[str, SpeechSynthesizer]:
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


def _broker(settings: Settings) -> AsyncBroker:
    if settings.queue.backend == "redis":
        from voiceqr.adapters.queue.redis_stream import redis_stream_broker

        return redis_stream_broker(settings.queue.redis_url, settings.queue.stream)
    return memory_broker()


def _openid_providers(settings: Settings, closers: Closers) -> dict[str, OpenIdProvider]:
    """Google and Microsoft sign-in, each only when its client id is set."""
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
            # Imported only when a provider is set: httpx and joserfc take ~0.15 s to
            # import, which a start without sign-in providers need not pay.
            from voiceqr.adapters.oidc import OpenIdConnectProvider

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


def _playback_events(settings: Settings, closers: Closers) -> PlaybackEventLog:
    """Where scans wait to be stored: the Redis stream beside the queue, or this process."""
    if settings.queue.backend == "redis":
        from redis.asyncio import Redis

        from voiceqr.adapters.redis.playback_events import RedisPlaybackEvents

        client = Redis.from_url(settings.queue.redis_url, socket_connect_timeout=2)
        events = RedisPlaybackEvents(client, stream=settings.playback.stream)
        closers.extend((client.aclose, events.close))  # closed last to first
        return events
    return BufferedPlaybackEvents(seconds=settings.playback.flush_seconds)


def _one_time_keys(settings: Settings, closers: Closers) -> OneTimeKeys:
    """Where single-use sign-in states are remembered: Redis beside the sessions, or memory."""
    if settings.sessions.backend == "redis":
        from redis.asyncio import Redis

        from voiceqr.adapters.redis.one_time_keys import RedisOneTimeKeys

        client = Redis.from_url(settings.sessions.redis_url, socket_connect_timeout=2)
        closers.append(client.aclose)
        return RedisOneTimeKeys(client)
    from voiceqr.adapters.memory.one_time_keys import MemoryOneTimeKeys

    return MemoryOneTimeKeys()
