"""What the playback page needs: the log its scans and listens are appended to, the
repository that stores them in batches, and the unit of work that reads the generation
behind a code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol
from uuid import UUID

from voiceqr.application.generations.ports import (
    GenerationRepository,
    GenerationRevisionRepository,
)
from voiceqr.application.shared.ports import Transaction
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent

StoreEvents = Callable[[Sequence[PlaybackEvent]], Awaitable[None]]


class PlaybackEventRepository(Protocol):
    """Scan and listen events, stored in batches."""

    async def add_many(self, events: Sequence[PlaybackEvent]) -> None:
        """Store the events; one already stored (the same id) is left as it is, so a
        batch handed over twice after a crash is stored once."""

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]: ...


class PlaybackEventLog(Protocol):
    """Where the playback page appends its events, with no database write on the
    request: a buffer in this process (embedded), or a Redis stream (production)."""

    async def append(self, event: PlaybackEvent) -> None: ...

    async def drain(self, store: StoreEvents) -> None:
        """Hand the appended events to `store` in batches until cancelled. A batch
        `store` refused is handed over again later; on cancellation what this process
        still holds is handed over before returning."""


class PlaybackUnitOfWork(Transaction, Protocol):
    """The generation behind a code, its live revision and voice, and its events."""

    generations: GenerationRepository
    generation_revisions: GenerationRevisionRepository
    voices: VoiceRepository
    playback_events: PlaybackEventRepository
