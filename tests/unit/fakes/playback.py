"""The fake store of scan and listen events."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.playback.ports import PlaybackEventRepository
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind


class FakePlaybackEvents(Table):
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


class PlaybackPart(Part):
    """The playback feature's fake repositories."""

    playback_events: PlaybackEventRepository

    def attach(self) -> None:
        self.playback_events = FakePlaybackEvents(self)
        super().attach()
