"""What the playback page needs: the log its scans and listens are appended to, the
repository that stores them in batches, the listens' listen-through, and the unit of
work that reads the generation behind a code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date, datetime
from typing import Literal, Protocol
from uuid import UUID

from voiceqr.application.generations.ports import (
    GenerationRepository,
    GenerationRevisionRepository,
)
from voiceqr.application.shared.ports import Transaction
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.playback.events import (
    Device,
    PlaybackCounts,
    PlaybackEvent,
    PlaybackEventKind,
    StoredEvent,
)
from voiceqr.domain.playback.listening import Heard, Listen

StoreEvents = Callable[[Sequence[PlaybackEvent]], Awaitable[None]]


VisitKey = tuple[UUID, PlaybackEventKind, str]  # (generation, kind, visitor key)
Between = tuple[datetime, datetime]  # from (included) to (excluded)


class PlaybackEventRepository(Protocol):
    """Scan and listen events, stored in batches."""

    async def add_many(self, events: Sequence[StoredEvent]) -> None:
        """Store the events; one already stored (the same id) is left as it is, so a
        batch handed over twice after a crash is stored once."""

    async def last_seen(
        self, keys: Collection[VisitKey], *, since: datetime
    ) -> dict[VisitKey, datetime]:
        """When each key (by its visitor key) was last hit at or after `since`."""
        ...

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        """Visits and listens per generation: new visits only, bots and the owner's
        own views left out."""
        ...


class VisitorSaltRepository(Protocol):
    """The secret of each UTC day that visitor keys are made with (see visits.py)."""

    async def get_or_add(self, day: date, salt: bytes) -> bytes:
        """The day's salt: the one stored, or `salt`, stored now (first one wins)."""
        ...

    async def delete_before(self, day: date) -> int: ...


class UserAgentReader(Protocol):
    """What a user agent says of itself: bot or not, device class, OS, browser."""

    def describe(self, user_agent: str) -> Device: ...


class ListenRepository(Protocol):
    """What each listen heard of a code's audio: one row per listen, which only grows."""

    async def record(self, listen: Listen) -> None:
        """Store the listen, or add what it heard to the stored listen of that id (the
        union of both). A listen id stored for another code or revision is left alone."""

    async def tally(
        self, generation_id: UUID, revision: int, *, between: Between | None = None
    ) -> dict[Heard, int]:
        """How many listens of that revision of the audio heard exactly each set of
        buckets (far fewer sets than listens: most listens hear one stretch); with
        `between`, only the listens that started in it."""
        ...

    async def tallies_of_owner(
        self, owner_id: UUID, *, between: Between
    ) -> dict[UUID, dict[Heard, int]]:
        """The tally of each of the owner's codes (deleted ones too) that has listens of
        the audio it plays now (its live revision) started in `between`."""
        ...


class PlaybackEventLog(Protocol):
    """Where the playback page appends its events, with no database write on the
    request: a buffer in this process (embedded), or a Redis stream (production)."""

    async def append(self, event: PlaybackEvent) -> None: ...

    async def drain(self, store: StoreEvents) -> None:
        """Hand the appended events to `store` in batches until cancelled. A batch
        `store` refused is handed over again later; on cancellation what this process
        still holds is handed over before returning."""


class RetiredCodeRepository(Protocol):
    """The printed codes of deleted accounts, kept with no trace of their owner."""

    async def is_retired(self, public_code: str) -> bool: ...


Withholding = Literal["quarantined", "removed"]


class WithheldCodeRepository(Protocol):
    """Codes that moderation keeps from the public: quarantined (451, reversible) or
    removed (410)."""

    async def withheld(self, generation_id: UUID) -> Withholding | None: ...


class PlaybackUnitOfWork(Transaction, Protocol):
    """The generation behind a code, its live revision and voice, its events and listens."""

    generations: GenerationRepository
    generation_revisions: GenerationRevisionRepository
    voices: VoiceRepository
    playback_events: PlaybackEventRepository
    visitor_salts: VisitorSaltRepository
    listens: ListenRepository
    retired_codes: RetiredCodeRepository
    withheld_codes: WithheldCodeRepository
