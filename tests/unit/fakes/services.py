"""The use cases wired to fakes, as `bootstrap.build` wires them to adapters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tests.unit.fakes.accounts import FakeHasher, FakeSessionStore
from tests.unit.fakes.clock import PUBLIC_BASE_URL, FakeClock
from tests.unit.fakes.database import FakeDatabase
from tests.unit.fakes.generations import FakeQueue
from tests.unit.fakes.mail import FakeMailer
from tests.unit.fakes.shared import FakeQr, FakeRateLimiter, FakeSpeech, FakeStorage
from tests.unit.fakes.unit_of_work import FakeUnitOfWorkFactory
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.policy import AccountPolicy
from voiceqr.application.accounts.ports import (
    PasswordHasher,
    SessionStore,
)
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.mail.ports import Mailer
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.playback.playback import Playback
from voiceqr.application.shared.jobs import Jobs
from voiceqr.application.shared.ports import (
    AudioStorage,
    QrRenderer,
    RateLimiter,
    SpeechSynthesizer,
    UnitOfWorkFactory,
)
from voiceqr.application.voices.gallery import VoiceGallery
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import RetryPolicy
from voiceqr.domain.operations.failure_monitoring import AlertPolicy
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample


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
    accounts: Accounts
    playback: Playback
    sessions: FakeSessionStore
    limits: FakeRateLimiter
    failure_monitor: FailureMonitor
    audit: AuditTrail

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
) -> Services:
    """Generations, VoiceGallery, Accounts and Playback on fakes, wired like `bootstrap.build`.

    The defaults are those of `voiceqr.settings` (5 attempts, 30 s backoff base,
    5 min lease, 60 s requeue, 2 h idle and 12 h absolute sessions) and one
    `espeak` synthesizer.
    """
    if speech is None:
        synthesizers = {"espeak": FakeSpeech("espeak")}
    elif isinstance(speech, Mapping):
        synthesizers = dict(speech)
    else:
        synthesizers = {s.provider: s for s in speech}
    clock = clock or FakeClock()
    policy = retry_policy or RetryPolicy(max_attempts=5, base_seconds=30.0)
    uow = FakeUnitOfWorkFactory()
    queue = FakeQueue()
    storage = FakeStorage()
    hasher = FakeHasher()
    sessions = FakeSessionStore()
    limits = FakeRateLimiter()
    notifications = Notifications(public_base_url=PUBLIC_BASE_URL, clock=clock)
    generations = Generations(
        uow=uow,
        jobs=queue,
        speech=synthesizers,
        storage=storage,
        clock=clock,
        retry_policy=policy,
        lease=lease,
        requeue_after=requeue_after,
        notifications=notifications,
    )
    return Services(
        uow=uow,
        db=uow.database,
        clock=clock,
        queue=queue,
        speech=synthesizers,
        storage=storage,
        hasher=hasher,
        mailer=FakeMailer(),
        qr=FakeQr(),
        retry_policy=policy,
        lease=lease,
        requeue_after=requeue_after,
        generations=generations,
        generation_failures=GenerationFailures(
            uow=uow,
            notifications=notifications,
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        generation_revisions=GenerationRevisions(
            uow=uow,
            speech=synthesizers,
            storage=storage,
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        folders=FoldersAndTags(uow=uow, clock=clock),
        voices=VoiceGallery(uow=uow, storage=storage, speech=synthesizers, clock=clock),
        accounts=Accounts(
            uow=uow,
            sessions=sessions,
            hasher=hasher,
            limits=limits,
            notifications=notifications,
            clock=clock,
            policy=AccountPolicy(session_idle=session_idle, session_absolute=session_absolute),
        ),
        sessions=sessions,
        limits=limits,
        playback=Playback(uow=uow, storage=storage, clock=clock),
        # The settings' defaults: over 20% of at least 20 attempts in 15 min; 60 min apart.
        failure_monitor=FailureMonitor(
            uow=uow, notifications=notifications, clock=clock, policy=AlertPolicy()
        ),
        audit=AuditTrail(uow=uow),
    )


if TYPE_CHECKING:  # mypy checks that every fake satisfies its port
    from voiceqr.application.platform import PlatformUnitOfWork

    _uow: UnitOfWorkFactory[PlatformUnitOfWork] = FakeUnitOfWorkFactory()
    _speech: SpeechSynthesizer = FakeSpeech()
    _storage: AudioStorage = FakeStorage()
    _mailer: Mailer = FakeMailer()
    _qr: QrRenderer = FakeQr()
    _queue: Jobs = FakeQueue()
    _hasher: PasswordHasher = FakeHasher()
    _sessions: SessionStore = FakeSessionStore()
    _limits: RateLimiter = FakeRateLimiter()
