"""In-memory fakes for every port in `voiceqr.application.ports`, and services wired to them.

The fakes keep persistence semantics so the use cases are tested as they run in
production: objects are copied on the way in and out (a caller never holds the
stored object), a unit of work applies its writes only when committed, and the
generation repository does the same version compare-and-set as the SQL one.
"""

from __future__ import annotations

import copy
import hashlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from voiceqr.application import ports
from voiceqr.application.accounts import Accounts
from voiceqr.application.generations import Generations
from voiceqr.application.playback import Playback
from voiceqr.application.ports import AudioRange, MailMessage, SpeechResult
from voiceqr.application.voices import VoiceGallery
from voiceqr.domain.errors import Conflict, NotFound, StorageError, ValidationError
from voiceqr.domain.generations import Generation, GenerationStatus, RetryPolicy
from voiceqr.domain.ids import uuid7
from voiceqr.domain.playback import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.sessions import Session
from voiceqr.domain.users import Role, User
from voiceqr.domain.voices import Voice, VoiceSample

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


# --- clock -----------------------------------------------------------------------------


class FakeClock:
    """A clock that only moves when told to; returns timezone-aware UTC datetimes."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords: minutes=, hours=, ...)."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self.now += step
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)


# --- the database and its unit of work ------------------------------------------------


@dataclass
class FakeDatabase:
    """The committed state, one dict (or list) per table."""

    voices: dict[UUID, Voice] = field(default_factory=dict)
    generations: dict[UUID, Generation] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    playback_events: list[PlaybackEvent] = field(default_factory=list)

    def snapshot(self) -> FakeDatabase:
        return copy.deepcopy(self)

    def restore(self, snapshot: FakeDatabase) -> None:
        self.voices = copy.deepcopy(snapshot.voices)
        self.generations = copy.deepcopy(snapshot.generations)
        self.users = copy.deepcopy(snapshot.users)
        self.sessions = copy.deepcopy(snapshot.sessions)
        self.playback_events = copy.deepcopy(snapshot.playback_events)

    # Direct access for arranging and asserting in tests (outside any unit of work).

    def generation(self, generation_id: UUID) -> Generation:
        return copy.deepcopy(self.generations[generation_id])

    def put_voice(self, voice: Voice) -> Voice:
        self.voices[voice.id] = copy.deepcopy(voice)
        return voice

    def put_user(self, user: User) -> User:
        self.users[user.id] = copy.deepcopy(user)
        return user


class _Table:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _db(self) -> FakeDatabase:
        return self._uow.database_in_use()

    def _wrote(self) -> None:
        self._uow.wrote()


class FakeVoices(_Table):
    async def add(self, voice: Voice) -> None:
        if voice.id in self._db.voices:
            raise Conflict("duplicate voice id", code="duplicate_key")
        self._db.voices[voice.id] = copy.deepcopy(voice)
        self._wrote()

    async def get(self, voice_id: UUID) -> Voice | None:
        return copy.deepcopy(self._db.voices.get(voice_id))

    async def update(self, voice: Voice) -> None:
        stored = self._db.voices.get(voice.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        updated = copy.deepcopy(voice)
        updated.created_at = stored.created_at
        self._db.voices[voice.id] = updated
        self._wrote()

    async def delete(self, voice_id: UUID) -> None:
        if self._db.voices.pop(voice_id, None) is not None:
            self._wrote()

    async def list(self, *, published_only: bool) -> list[Voice]:
        voices = [v for v in self._db.voices.values() if v.published or not published_only]
        voices.sort(key=lambda v: (-v.priority, v.name))
        return copy.deepcopy(voices)

    async def count(self) -> int:
        return len(self._db.voices)


_FIXED_GENERATION_FIELDS = ("id", "owner_id", "public_code", "created_at")


class FakeGenerations(_Table):
    async def add(self, generation: Generation) -> None:
        taken = {g.public_code for g in self._db.generations.values()}
        if generation.id in self._db.generations or generation.public_code in taken:
            raise Conflict("duplicate generation", code="duplicate_key")
        self._db.generations[generation.id] = copy.deepcopy(generation)
        self._wrote()

    async def get(self, generation_id: UUID) -> Generation | None:
        return copy.deepcopy(self._db.generations.get(generation_id))

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        stored = self._db.generations.get(generation_id)
        if stored is None or stored.owner_id != owner_id:
            return None
        return copy.deepcopy(stored)

    async def get_by_code(self, public_code: str) -> Generation | None:
        for stored in self._db.generations.values():
            if stored.public_code == public_code:
                return copy.deepcopy(stored)
        return None

    async def update(self, generation: Generation) -> None:
        """Compare-and-set on `version`, like `UPDATE ... WHERE id = ? AND version = ?`."""
        stored = self._db.generations.get(generation.id)
        if stored is None or stored.version != generation.version:
            raise Conflict("The generation changed meanwhile.", code="stale_generation")
        updated = copy.deepcopy(generation)
        for name in _FIXED_GENERATION_FIELDS:  # the SQL update never writes these columns
            setattr(updated, name, getattr(stored, name))
        updated.version = generation.version + 1
        self._db.generations[generation.id] = updated
        generation.version += 1
        self._wrote()

    async def list_owned(self, owner_id: UUID, *, limit: int) -> list[Generation]:
        owned = [g for g in self._db.generations.values() if g.owner_id == owner_id]
        owned.sort(key=lambda g: (g.created_at, g.id), reverse=True)
        return copy.deepcopy(owned[:limit])

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Generation]:
        due = [
            g
            for g in self._db.generations.values()
            if g.status is GenerationStatus.PENDING
            and (g.next_attempt_at is None or g.next_attempt_at <= now)
            and (g.enqueued_at is None or g.enqueued_at < enqueued_before)
        ]
        due.sort(key=lambda g: (g.next_attempt_at is not None, g.next_attempt_at or now))
        return copy.deepcopy(due[:limit])

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Generation]:
        expired = [
            g
            for g in self._db.generations.values()
            if g.status is GenerationStatus.PROCESSING
            and g.lease_expires_at is not None
            and g.lease_expires_at <= now
        ]
        expired.sort(key=lambda g: g.lease_expires_at or now)
        return copy.deepcopy(expired[:limit])

    async def mark_enqueued(self, generation_ids: Sequence[UUID], *, now: datetime | None) -> None:
        # Like the SQL: only pending rows, and the version is not bumped.
        for generation_id in generation_ids:
            stored = self._db.generations.get(generation_id)
            if stored is not None and stored.status is GenerationStatus.PENDING:
                stored.enqueued_at = now
                self._wrote()


class FakeUsers(_Table):
    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._db.users.values()):
            raise Conflict(f"{user.email} already has an account.", code="email_taken")
        if user.id in self._db.users:
            raise Conflict("duplicate user id", code="duplicate_key")
        self._db.users[user.id] = copy.deepcopy(user)
        self._wrote()

    async def get(self, user_id: UUID) -> User | None:
        return copy.deepcopy(self._db.users.get(user_id))

    async def get_by_email(self, email: str) -> User | None:
        for user in self._db.users.values():
            if user.email == email:
                return copy.deepcopy(user)
        return None

    async def update(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is None:
            return
        updated = copy.deepcopy(user)
        updated.created_at = stored.created_at
        self._db.users[user.id] = updated
        self._wrote()

    async def list(self) -> list[User]:
        return copy.deepcopy(sorted(self._db.users.values(), key=lambda u: u.email))


class FakeSessions(_Table):
    async def add(self, session: Session) -> None:
        if session.token_hash in self._db.sessions:
            raise Conflict("duplicate session", code="duplicate_key")
        self._db.sessions[session.token_hash] = copy.deepcopy(session)
        self._wrote()

    async def get(self, token_hash: str) -> Session | None:
        return copy.deepcopy(self._db.sessions.get(token_hash))

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None:
        stored = self._db.sessions.get(token_hash)
        if stored is not None:
            stored.last_seen_at = last_seen_at
            stored.idle_expires_at = idle_expires_at
            self._wrote()

    async def delete(self, token_hash: str) -> None:
        if self._db.sessions.pop(token_hash, None) is not None:
            self._wrote()


class FakePlaybackEvents(_Table):
    async def add(self, event: PlaybackEvent) -> None:
        self._db.playback_events.append(copy.deepcopy(event))
        self._wrote()

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        result: dict[UUID, PlaybackCounts] = {}
        for generation_id in generation_ids:
            kinds = [e.kind for e in self._db.playback_events if e.generation_id == generation_id]
            result[generation_id] = PlaybackCounts(
                scans=kinds.count(PlaybackEventKind.SCAN),
                listens=kinds.count(PlaybackEventKind.LISTEN),
            )
        return result


class FakeUnitOfWork:
    """One transaction on a FakeDatabase: writes not followed by `commit()` are undone on exit.

    Writes go to the shared database at once (so compare-and-set sees other units of
    work), and a snapshot taken on enter (and at each commit) is restored on exit if
    anything was written since. Units of work are meant to run one after another.
    """

    def __init__(self, factory: FakeUnitOfWorkFactory) -> None:
        self._factory = factory
        self._db = factory.database
        self._snapshot: FakeDatabase | None = None
        self._dirty = False
        self._active = False
        self.voices: ports.VoiceRepository = FakeVoices(self)
        self.generations: ports.GenerationRepository = FakeGenerations(self)
        self.users: ports.UserRepository = FakeUsers(self)
        self.sessions: ports.SessionRepository = FakeSessions(self)
        self.playback_events: ports.PlaybackEventRepository = FakePlaybackEvents(self)

    def database_in_use(self) -> FakeDatabase:
        if not self._active:
            raise RuntimeError("repository used outside `async with uow:`")
        return self._db

    def wrote(self) -> None:
        self._dirty = True

    async def __aenter__(self) -> Self:
        if self._active:
            raise RuntimeError("a unit of work is not re-entrant")
        self._active = True
        self._dirty = False
        self._snapshot = self._db.snapshot()
        self._factory.opened += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._dirty and self._snapshot is not None:
            self._db.restore(self._snapshot)
            self._factory.rollbacks += 1
        self._active = False
        self._dirty = False
        self._snapshot = None

    async def commit(self) -> None:
        if not self._active:
            raise RuntimeError("commit outside `async with uow:`")
        if self._factory.fail_commits:
            self._factory.fail_commits -= 1
            raise ConnectionError("the database went away")
        self._snapshot = self._db.snapshot()
        self._dirty = False
        self._factory.commits += 1


class FakeUnitOfWorkFactory:
    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database if database is not None else FakeDatabase()
        self.down = False
        self.fail_commits = 0  # how many next commits raise ConnectionError
        self.opened = 0
        self.commits = 0
        self.rollbacks = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    async def check(self) -> None:
        if self.down:
            raise ConnectionError("the database cannot be reached")


# --- outside services ------------------------------------------------------------------

SpeechStep = SpeechResult | bytes | BaseException


@dataclass(frozen=True, slots=True)
class SpeechCall:
    text: str
    voice_id: UUID
    provider_voice_id: str


class FakeSpeech:
    """A scriptable synthesizer.

    `script` is a queue of steps, one per call: a SpeechResult or bytes to return, or
    an exception to raise. Once it is empty every call returns `default_audio(text)`.
    `on_call` (sync or async) runs at the start of every call, before the step.
    """

    def __init__(
        self,
        provider: str = "espeak",
        *,
        max_text_length: int = 5000,
        script: Iterable[SpeechStep] = (),
        on_call: Callable[[SpeechCall], Awaitable[None] | None] | None = None,
    ) -> None:
        self.provider = provider
        self.max_text_length = max_text_length
        self.script: deque[SpeechStep] = deque(script)
        self.on_call = on_call
        self.calls: list[SpeechCall] = []

    def then(self, *steps: SpeechStep) -> Self:
        self.script.extend(steps)
        return self

    @staticmethod
    def default_audio(text: str) -> bytes:
        return b"ID3\x04fake-mp3:" + text.encode()

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        call = SpeechCall(text=text, voice_id=voice.id, provider_voice_id=voice.provider_voice_id)
        self.calls.append(call)
        if self.on_call is not None:
            result = self.on_call(call)
            if result is not None:
                await result
        step: SpeechStep = (
            self.script.popleft() if self.script else SpeechResult(self.default_audio(text))
        )
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, bytes):
            return SpeechResult(step, characters_billed=len(text))
        return step


@dataclass(frozen=True, slots=True)
class StoredObject:
    data: bytes
    content_type: str


class FakeStorage:
    """A dict-backed audio store. `fail_puts` makes the next puts raise `put_error`."""

    def __init__(self, *, url_prefix: str = "/media") -> None:
        self.objects: dict[str, StoredObject] = {}
        self.url_prefix = url_prefix
        self.fail_puts = 0
        self.put_error: Exception = _storage_down()
        self.down = False
        self.puts: list[str] = []
        self.deletes: list[str] = []

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts.append(key)
        if self.fail_puts:
            self.fail_puts -= 1
            raise self.put_error
        self.objects[key] = StoredObject(bytes(data), content_type)

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound("This audio does not exist.", detail=key)
        return self.objects[key].data

    async def delete(self, key: str) -> None:
        self.deletes.append(key)
        self.objects.pop(key, None)

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        data = await self.get(key)
        if start < 0 or start >= len(data) or (end is not None and end < start):
            raise ValidationError(
                "The requested range is not satisfiable.", code="range_not_satisfiable"
            )
        last = len(data) - 1 if end is None else min(end, len(data) - 1)

        async def chunks() -> AsyncIterator[bytes]:
            for offset in range(start, last + 1, 4):
                yield data[offset : min(offset + 4, last + 1)]

        return AudioRange(start=start, end=last, total=len(data), chunks=chunks())

    async def url(self, key: str) -> str:
        return f"{self.url_prefix}/{key}"

    async def check(self) -> None:
        if self.down:
            raise _storage_down()


def _storage_down() -> StorageError:
    return StorageError("The audio could not be saved.", detail="fake storage is failing")


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.error: Exception | None = None

    async def send(self, message: MailMessage) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)


class FakeQr:
    def __init__(self) -> None:
        self.drawn: list[tuple[str, str, int]] = []

    def svg(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("svg", data, size))
        return f'<svg xmlns="http://www.w3.org/2000/svg" data-qr="{data}" size="{size}"/>'.encode()

    def png(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("png", data, size))
        return b"\x89PNG\r\n\x1a\n" + f"{size}:{data}".encode()


class FakeQueue:
    """Records the ids it was handed; `down = True` simulates the broker being unreachable."""

    def __init__(self) -> None:
        self.enqueued: list[UUID] = []
        self.down = False

    async def enqueue(self, generation_id: UUID) -> None:
        if self.down:
            raise ConnectionError("the broker cannot be reached")
        self.enqueued.append(generation_id)

    def take(self) -> list[UUID]:
        """The ids handed over since the last take (what a worker would receive)."""
        taken, self.enqueued = self.enqueued, []
        return taken


class FakeHasher:
    """Fast and deterministic; `scheme` changes what `needs_rehash` considers current."""

    def __init__(self, scheme: str = "fake1") -> None:
        self.scheme = scheme
        self.verified = 0

    def make(self, password: str, scheme: str | None = None) -> str:
        digest = hashlib.sha256(password.encode()).hexdigest()
        return f"${scheme or self.scheme}${digest}"

    async def hash(self, password: str) -> str:
        return self.make(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        _, scheme, _ = password_hash.split("$", 2)
        return password_hash == self.make(password, scheme)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"${self.scheme}$")


# --- services wired to the fakes -------------------------------------------------------


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
    voices: VoiceGallery
    accounts: Accounts
    playback: Playback

    def add_user(
        self,
        email: str = "ann@example.com",
        *,
        password: str = "correct horse battery",
        role: Role = Role.USER,
        name: str = "",
    ) -> User:
        user = User(
            id=uuid7(),
            email=email,
            name=name or email.split("@")[0],
            password_hash=self.hasher.make(password),
            role=role,
            created_at=self.clock(),
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
        generations=Generations(
            uow=uow,
            queue=queue,
            speech=synthesizers,
            storage=storage,
            clock=clock,
            retry_policy=policy,
            lease=lease,
            requeue_after=requeue_after,
        ),
        voices=VoiceGallery(uow=uow, storage=storage, speech=synthesizers, clock=clock),
        accounts=Accounts(
            uow=uow,
            hasher=hasher,
            clock=clock,
            session_idle=session_idle,
            session_absolute=session_absolute,
        ),
        playback=Playback(uow=uow, storage=storage, clock=clock),
    )


if TYPE_CHECKING:  # mypy checks that every fake satisfies its port
    _uow: ports.UnitOfWorkFactory = FakeUnitOfWorkFactory()
    _unit: ports.UnitOfWork = FakeUnitOfWork(FakeUnitOfWorkFactory())
    _speech: ports.SpeechSynthesizer = FakeSpeech()
    _storage: ports.AudioStorage = FakeStorage()
    _mailer: ports.Mailer = FakeMailer()
    _qr: ports.QrRenderer = FakeQr()
    _queue: ports.GenerationQueue = FakeQueue()
    _hasher: ports.PasswordHasher = FakeHasher()
