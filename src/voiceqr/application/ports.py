"""Ports: what the use cases need from the outside world, as Protocols.

Each port has an embedded adapter (needs only `pip install`) and a production one;
`voiceqr.bootstrap` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, Self
from uuid import UUID

from voiceqr.domain.generations import Generation
from voiceqr.domain.playback import PlaybackCounts, PlaybackEvent
from voiceqr.domain.sessions import Session
from voiceqr.domain.users import User
from voiceqr.domain.voices import Voice


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """Audio produced by a speech provider."""

    audio: bytes
    content_type: str = "audio/mpeg"
    characters_billed: int = 0


class SpeechSynthesizer(Protocol):
    """Turns text into MP3 audio in a given voice.

    Raises `voiceqr.domain.errors.SpeechError` with a category (provider, quota,
    validation) and `retryable` set to whether trying later can succeed.
    """

    provider: str
    max_text_length: int

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult: ...


@dataclass(frozen=True, slots=True)
class AudioRange:
    """A slice of a stored object, as read for an HTTP Range request."""

    start: int
    end: int  # inclusive
    total: int
    chunks: AsyncIterator[bytes]


class AudioStorage(Protocol):
    """Stores audio objects under string keys. Raises `StorageError` on failure."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The whole object; raises NotFound if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; absent objects are not an error."""
        ...

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        """Bytes `start..end` (inclusive; None = to the end), streamed in chunks.

        Raises NotFound if absent and ValidationError (code `range_not_satisfiable`)
        if `start` is past the end of the object.
        """
        ...

    async def url(self, key: str) -> str:
        """An address a browser can fetch the object from (relative or absolute)."""
        ...

    async def check(self) -> None:
        """Raise StorageError when the store cannot be reached (readiness)."""
        ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    """Delivers one message. Raises `ExternalServiceError` (retryable or not)."""

    async def send(self, message: MailMessage) -> None: ...


class QrRenderer(Protocol):
    """Draws a QR code for a piece of data."""

    def svg(self, data: str, *, size: int) -> bytes: ...

    def png(self, data: str, *, size: int) -> bytes: ...


class GenerationQueue(Protocol):
    """Wakes a worker up for a generation. Carries the id only; the database is the truth."""

    async def enqueue(self, generation_id: UUID) -> None: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


# --- persistence -------------------------------------------------------------------


class VoiceRepository(Protocol):
    async def add(self, voice: Voice) -> None: ...

    async def get(self, voice_id: UUID) -> Voice | None: ...

    async def update(self, voice: Voice) -> None: ...

    async def delete(self, voice_id: UUID) -> None: ...

    async def list(self, *, published_only: bool) -> list[Voice]:
        """Voices by display priority (highest first), then name."""
        ...

    async def count(self) -> int: ...


class GenerationRepository(Protocol):
    async def add(self, generation: Generation) -> None: ...

    async def get(self, generation_id: UUID) -> Generation | None:
        """Any generation; for the worker and sweeper, never for a user request."""
        ...

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        """The generation if `owner_id` owns it; another owner's id yields None."""
        ...

    async def get_by_code(self, public_code: str) -> Generation | None: ...

    async def update(self, generation: Generation) -> None:
        """Save changes if nobody else saved since it was read (version check).

        Raises `Conflict` (code `stale_generation`) otherwise; bumps `version`.
        """
        ...

    async def list_owned(self, owner_id: UUID, *, limit: int) -> list[Generation]:
        """Newest first."""
        ...

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Generation]:
        """Pending and due, and not handed to the queue since `enqueued_before`."""
        ...

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Generation]: ...

    async def mark_enqueued(self, generation_ids: Sequence[UUID], *, now: datetime | None) -> None:
        """Stamp pending rows as handed to the queue at `now` (None: not handed over)."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `Conflict` (code `email_taken`) when the email is in use."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def list(self) -> list[User]: ...


class SessionRepository(Protocol):
    """Server-side sign-in sessions, keyed by a hash of the cookie value."""

    async def add(self, session: Session) -> None: ...

    async def get(self, token_hash: str) -> Session | None: ...

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None: ...

    async def delete(self, token_hash: str) -> None: ...


class PlaybackEventRepository(Protocol):
    """Scan and listen events (C5), appended cheaply on the hot path."""

    async def add(self, event: PlaybackEvent) -> None: ...

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]: ...


class UnitOfWork(Protocol):
    """One transaction: rolls back on exit unless `commit()` was awaited."""

    voices: VoiceRepository
    generations: GenerationRepository
    users: UserRepository
    sessions: SessionRepository
    playback_events: PlaybackEventRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    async def check(self) -> None:
        """Raise when the database cannot be reached (readiness)."""
        ...
