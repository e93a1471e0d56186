"""Ports several features use, and the shape of a unit of work.

Each port has an embedded adapter (needs only `pip install`) and a production one;
`voiceqr.bootstrap` picks one from the settings. A feature's own ports, and its
narrow unit of work, are in its `ports.py`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, Self, TypeVar
from uuid import UUID

from voiceqr.domain.generations.qr_design import QrDesign
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.voices.voice import Voice


class Transaction(Protocol):
    """One transaction: rolls back on exit unless `commit()` was awaited.

    Each feature's unit of work adds the repositories its use cases touch; the
    database's unit of work has them all, on one connection.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


UnitOfWork_co = TypeVar("UnitOfWork_co", bound=Transaction, covariant=True)


class UnitOfWorkFactory(Protocol[UnitOfWork_co]):
    """Opens units of work on one database. A use case only calls it; the composition
    root also asks it whether the database answers."""

    def __call__(self) -> UnitOfWork_co: ...

    async def check(self) -> None:
        """Raise when the database cannot be reached (readiness)."""
        ...


class AuditLog(Protocol):
    """The audit log of admin actions, appended in the transaction of the action."""

    async def add(self, event: AuditEvent) -> None: ...

    async def list_for_target(
        self,
        target_type: str,
        target_id: str,
        *,
        limit: int,
        after: AuditPosition | None = None,
        since: datetime | None = None,
    ) -> list[AuditEvent]:
        """The actions on one object (a user's account), newest first, after `after`
        and not before `since` when given."""
        ...

    async def list(
        self,
        *,
        limit: int,
        action: str | None = None,
        actor: str | None = None,
        after: AuditPosition | None = None,
    ) -> list[AuditEvent]:
        """Newest first (by occurred_at, then id), starting after `after` when given.

        `action` matches that action or, as a prefix, every action under it
        (`generation` matches `generation.retry`); `actor` matches the actor label.
        """
        ...


class AuditedUnitOfWork(Transaction, Protocol):
    """A unit of work that can record an admin action with the change it makes."""

    audit: AuditLog


class PreferencesRepository(Protocol):
    """A user's generation preferences and draft, one row per user."""

    async def get(self, user_id: UUID) -> UserPreferences | None:
        """None when the user never saved any (the defaults apply)."""
        ...

    async def save(self, preferences: UserPreferences) -> None:
        """Insert or replace the user's row."""
        ...

    async def clear_draft(self, user_id: UUID) -> None:
        """Forget the draft (text, voice, time); the other preferences stay."""
        ...


@dataclass(frozen=True, slots=True)
class HistoryPosition:
    """Where a history page ended: the (created_at, id) of its last item.

    The next page holds what sorts strictly after it, newest first, so rows added
    meanwhile (always newer) never shift or repeat later pages.
    """

    created_at: datetime
    id: UUID


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

    async def accepts(self, provider_voice_ids: Collection[str]) -> frozenset[str]:
        """Those of `provider_voice_ids` this provider can speak with (asked of the
        provider itself: a voice is published only when it is accepted).

        Raises `SpeechError` (category provider) when the provider cannot be asked.
        """
        ...


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

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        """Store an object of any size from `chunks`, holding only a bounded part of it
        in memory; returns its size. Readers never see half an object."""
        ...

    async def get(self, key: str) -> bytes:
        """The whole object; raises NotFound if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; absent objects are not an error."""
        ...

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        """Bytes `start..end` (inclusive; None = to the end), streamed in chunks.

        Raises NotFound if absent and RangeNotSatisfiable (a ValidationError)
        if `start` is past the end of the object.
        """
        ...

    async def url(self, key: str) -> str:
        """An address a browser can fetch the object from (relative or absolute)."""
        ...

    async def check(self) -> None:
        """Raise StorageError when the store cannot be reached (readiness)."""
        ...


class QrRenderer(Protocol):
    """Draws a QR code for a piece of data."""

    def svg(self, data: str, *, size: int) -> bytes: ...

    def png(self, data: str, *, size: int) -> bytes: ...

    def designed(
        self,
        data: str,
        design: QrDesign,
        *,
        kind: Literal["svg", "png", "pdf"],
        size: int,
        logo: bytes | None = None,
        label: str = "",
    ) -> bytes:
        """The code drawn to an owner's design: SVG or PNG `size` pixels wide, or an A4
        PDF print sheet with the caption and `label`. `logo` is a PNG from `clean_logo`."""
        ...

    def clean_logo(self, image: bytes) -> bytes:
        """An uploaded logo checked (a PNG or JPEG within the size limits) and re-encoded
        as a plain PNG, so nothing but its pixels is kept; ValidationError otherwise."""
        ...


class RateLimiter(Protocol):
    """Counts hits per key in a fixed window (memory in embedded mode, Redis in production)."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Record one hit; False when `key` is over `limit` in the current window."""
        ...

    async def reset(self, key: str) -> None: ...


class CountryLookup(Protocol):
    """Where an address is, as an ISO 3166 country code ("" when unknown or private)."""

    def country(self, ip: str) -> str: ...


class PublicCodes(Protocol):
    """What this process remembers of public codes (the playback page's cache). A use
    case that changes what a code plays forgets it once its transaction has committed,
    so this process never shows the old page again."""

    def forget(self, code: str) -> None: ...
