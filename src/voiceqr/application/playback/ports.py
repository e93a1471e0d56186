"""What the playback page needs: the events it appends, and the unit of work that
reads the generation behind a code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from voiceqr.application.generations.ports import (
    GenerationRepository,
    GenerationRevisionRepository,
)
from voiceqr.application.shared.ports import Transaction
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent


class PlaybackEventRepository(Protocol):
    """Scan and listen events, appended cheaply on the hot path."""

    async def add(self, event: PlaybackEvent) -> None: ...

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]: ...


class PlaybackUnitOfWork(Transaction, Protocol):
    """The generation behind a code, its live revision and voice, and its events."""

    generations: GenerationRepository
    generation_revisions: GenerationRevisionRepository
    voices: VoiceRepository
    playback_events: PlaybackEventRepository
