"""The platform `bootstrap.build` wires, on fakes: the unit tests' only composition is
the real one."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.unit.fakes.accounts import FakeHasher, FakeSessionStore
from tests.unit.fakes.clock import PUBLIC_BASE_URL, FakeClock
from tests.unit.fakes.database import FakeDatabase
from tests.unit.fakes.generations import FakeQueue
from tests.unit.fakes.mail import FakeMailer
from tests.unit.fakes.playback import FakePlaybackEventLog
from tests.unit.fakes.shared import (
    FakeCountries,
    FakeQr,
    FakeRateLimiter,
    FakeScheduleClaims,
    FakeSpeech,
    FakeStorage,
)
from tests.unit.fakes.unit_of_work import FakeUnitOfWorkFactory
from tests.unit.fakes.voices import FakeSampleAudio
from voiceqr.adapters.memory.one_time_keys import MemoryOneTimeKeys
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.ports import (
    OneTimeKeys,
    OpenIdProvider,
    PasswordHasher,
    SecretBox,
    SessionStore,
)
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.mail.ports import Mailer
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.playback.playback import Playback
from voiceqr.application.shared.jobs import Jobs as JobQueue
from voiceqr.application.shared.jobs import ScheduleClaims
from voiceqr.application.shared.ports import (
    AudioStorage,
    CountryLookup,
    QrRenderer,
    RateLimiter,
    SpeechSynthesizer,
    UnitOfWorkFactory,
)
from voiceqr.application.voices.gallery import VoiceGallery
from voiceqr.application.voices.samples import VoiceSamples
from voiceqr.bootstrap import Adapters, Platform, build
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import RetryPolicy
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample
from voiceqr.settings import Auth, Jobs, Sessions, Settings

OPERATOR_REASON = "asked by the test"


@dataclass
class Services:
    uow: FakeUnitOfWorkFactory
    db: FakeDatabase
    clock: FakeClock
    queue: FakeQueue
    speech: dict[str, FakeSpeech]
    storage: FakeStorage
    hasher: FakeHasher
    mailer: FakeMailer
    qr: FakeQr
    retry_policy: RetryPolicy
    lease: timedelta
    requeue_after: timedelta
    generations: Generations
    generation_failures: GenerationFailures
    generation_revisions: GenerationRevisions
    folders: FoldersAndTags
    voices: VoiceGallery
    voice_samples: VoiceSamples
    sample_audio: FakeSampleAudio
    accounts: Accounts
    playback: Playback
    sessions: FakeSessionStore
    limits: FakeRateLimiter
    failure_monitor: FailureMonitor
    audit: AuditTrail
    playback_events: FakePlaybackEventLog
    platform: Platform  # what the use cases above come from

    async def operator_sets_status(self, email: str, status: UserStatus) -> User:
        """The operator disables or enables the account with `email` (as the CLI does)."""
        user = await self.accounts.get_by_email(email)
        assert user is not None, email
        staff = self.platform.accounts.staff
        return await staff.set_status(OPERATOR, user.id, status, reason=OPERATOR_REASON)

    async def operator_locks(self, email: str, until: datetime) -> User:
        """The operator locks the account with `email` until a time (as the CLI does)."""
        user = await self.accounts.get_by_email(email)
        assert user is not None, email
        staff = self.platform.accounts.staff
        return await staff.lock(OPERATOR, user.id, until=until, reason=OPERATOR_REASON)

    async def store_playback_events(self) -> None:
        """Store the scans and listens the playback page appended (a worker does it)."""
        await self.playback.deliver_events()

    def add_user(
        self,
        email: str = "ann@example.com",
        *,
        password: str = "correct horse battery",
        role: Role = Role.USER,
        name: str = "",
        verified: bool = True,
    ) -> User:
        user = User(
            id=uuid7(),
            email=email,
            name=name or email.split("@")[0],
            password_hash=self.hasher.make(password),
            role=role,
            created_at=self.clock(),
            email_verified_at=self.clock() if verified else None,
        )
        return self.db.put_user(user)

    def add_voice(
        self,
        name: str = "Alex",
        *,
        provider: str = "espeak",
        provider_voice_id: str = "en-us",
        published: bool = True,
        priority: int = 0,
        samples: Sequence[VoiceSample] = (),
        **details: Any,
    ) -> Voice:
        voice = Voice(
            id=uuid7(),
            name=name,
            provider=provider,
            provider_voice_id=provider_voice_id,
            published=published,
            priority=priority,
            samples=list(samples),
            created_at=self.clock(),
            updated_at=self.clock(),
            **details,
        )
        return self.db.put_voice(voice)


def make_services(
    *,
    speech: Mapping[str, FakeSpeech] | Iterable[FakeSpeech] | None = None,
    clock: FakeClock | None = None,
    retry_policy: RetryPolicy | None = None,
    lease: timedelta = timedelta(seconds=300),
    requeue_after: timedelta = timedelta(seconds=60),
    session_idle: timedelta = timedelta(minutes=120),
    session_absolute: timedelta = timedelta(hours=12),
    api_key_rotation_grace: timedelta = timedelta(hours=24),
    secret_key: str | None = None,
    secret_box: SecretBox | None = None,
    openid_providers: Mapping[str, OpenIdProvider] | None = None,
    one_time_keys: OneTimeKeys | None = None,
) -> Services:
    """The platform `bootstrap.build` makes, on fakes, and its use cases by name.

    The arguments become Settings; their defaults are those of `voiceqr.settings`
    (5 attempts, 30 s backoff base, 5 min lease, 60 s requeue, 2 h idle and 12 h
    absolute sessions, 24 h API-key rotation grace). Speech is one `espeak` synthesizer
    unless given; the other adapters given replace the platform's.
    """
    if speech is None:
        synthesizers = {"espeak": FakeSpeech("espeak")}
    elif isinstance(speech, Mapping):
        synthesizers = dict(speech)
    else:
        synthesizers = {s.provider: s for s in speech}
    clock = clock or FakeClock()
    policy = retry_policy or RetryPolicy()
    if policy != RetryPolicy(max_attempts=policy.max_attempts, base_seconds=policy.base_seconds):
        raise ValueError(f"{policy}: the settings say only max_attempts and base_seconds")
    settings = Settings(
        public_base_url=PUBLIC_BASE_URL,
        data_dir=str(_data_dir()),
        auth=Auth(
            secret_key=SECRET_KEY if secret_key is None else secret_key,
            api_key_rotation_grace_hours=_whole(api_key_rotation_grace, timedelta(hours=1)),
        ),
        jobs=Jobs(
            max_attempts=policy.max_attempts,
            retry_base_seconds=policy.base_seconds,
            lease_seconds=_whole_seconds(lease),
            requeue_after_seconds=requeue_after.total_seconds(),
        ),
        sessions=Sessions(
            idle_minutes=_whole(session_idle, timedelta(minutes=1)),
            absolute_hours=_whole(session_absolute, timedelta(hours=1)),
        ),
    )
    uow = FakeUnitOfWorkFactory()
    queue = FakeQueue()
    storage = FakeStorage()
    hasher = FakeHasher()
    sessions = FakeSessionStore()
    limits = FakeRateLimiter()
    mailer = FakeMailer()
    qr = FakeQr()
    playback_events = FakePlaybackEventLog()
    sample_audio = FakeSampleAudio()
    platform = build(
        settings,
        Adapters(
            uow=uow,
            jobs=queue,
            speech=synthesizers,
            storage=storage,
            hasher=hasher,
            session_store=sessions,
            limits=limits,
            mailer=mailer,
            qr=qr,
            countries=FakeCountries(),
            secret_box=secret_box,
            openid_providers={} if openid_providers is None else openid_providers,
            one_time_keys=one_time_keys or MemoryOneTimeKeys(),
            schedule_claims=FakeScheduleClaims(),
            clock=clock,
            playback_events=playback_events,
            sample_audio=sample_audio,
        ),
    )
    generations = platform.generations
    return Services(
        uow=uow,
        db=uow.database,
        clock=clock,
        queue=queue,
        speech=synthesizers,
        storage=storage,
        hasher=hasher,
        mailer=mailer,
        qr=qr,
        retry_policy=policy,
        lease=lease,
        requeue_after=requeue_after,
        generations=generations.generations,
        generation_failures=generations.failures,
        generation_revisions=generations.revisions,
        folders=generations.folders,
        voices=platform.voices,
        voice_samples=platform.voice_samples,
        sample_audio=sample_audio,
        accounts=platform.accounts.accounts,
        playback=platform.playback.playback,
        sessions=sessions,
        limits=limits,
        failure_monitor=platform.operations.failure_monitor,
        audit=platform.operations.audit,
        playback_events=playback_events,
        platform=platform,
    )


SECRET_KEY = "unit-tests-secret-key-0123456789abcdef"


@cache
def _data_dir() -> Path:
    """One empty directory per test run: with every adapter a fake, nothing is written."""
    return Path(tempfile.mkdtemp(prefix="voiceqr-unit-"))


def _whole(span: timedelta, unit: timedelta) -> int:
    """`span` in whole `unit`s, as the settings count it; refuses what they cannot say."""
    count, rest = divmod(span, unit)
    if rest:
        raise ValueError(f"{span} is not a whole number of {unit}: settings cannot say it")
    return int(count)


def _whole_seconds(span: timedelta) -> int:
    return _whole(span, timedelta(seconds=1))


if TYPE_CHECKING:  # mypy checks that every fake satisfies its port
    from voiceqr.application.platform import PlatformUnitOfWork

    _uow: UnitOfWorkFactory[PlatformUnitOfWork] = FakeUnitOfWorkFactory()
    _speech: SpeechSynthesizer = FakeSpeech()
    _storage: AudioStorage = FakeStorage()
    _mailer: Mailer = FakeMailer()
    _qr: QrRenderer = FakeQr()
    _queue: JobQueue = FakeQueue()
    _hasher: PasswordHasher = FakeHasher()
    _sessions: SessionStore = FakeSessionStore()
    _limits: RateLimiter = FakeRateLimiter()
    _countries: CountryLookup = FakeCountries()
    _claims: ScheduleClaims = FakeScheduleClaims()
