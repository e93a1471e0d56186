"""The fake store of scan and listen events."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.playback.ports import PlaybackEventRepository, StoreEvents
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind


class FakePlaybackEventLog:
    """The event log the playback page appends to: it holds what was appended until
    `drain` hands it all to the store once (the platform's log does so every second)."""

    def __init__(self) -> None:
        self.appended: list[PlaybackEvent] = []

    async def append(self, event: PlaybackEvent) -> None:
        self.appended.append(event)

    async def drain(self, store: StoreEvents) -> None:
        batch, self.appended = self.appended, []
        if batch:
            await store(batch)


class FakePlaybackEvents(Table):
    async def add_many(self, events: Sequence[PlaybackEvent]) -> None:
        stored = {e.id for e in self._db.playback_events}
        known = {g.id for g in self._db.generations.values()}
        self._db.playback_events.extend(
            copy.deepcopy(e) for e in events if e.id not in stored and e.generation_id in known
        )
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
