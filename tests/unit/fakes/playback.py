"""The fake store of scan and listen events, and of what each listen heard."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Collection, Sequence
from datetime import date, datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.playback.ports import (
    Between,
    ListenRepository,
    PlaybackEventRepository,
    RetiredCodeRepository,
    StoreEvents,
    VisitKey,
    VisitorSaltRepository,
)
from voiceqr.domain.playback.events import (
    PlaybackCounts,
    PlaybackEvent,
    PlaybackEventKind,
    StoredEvent,
)
from voiceqr.domain.playback.listening import Heard, Listen


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
    async def add_many(self, events: Sequence[StoredEvent]) -> None:
        stored = {e.event.id for e in self._db.playback_events}
        known = {g.id for g in self._db.generations.values()}
        self._db.playback_events.extend(
            copy.deepcopy(e)
            for e in events
            if e.event.id not in stored and e.event.generation_id in known
        )
        self._wrote()

    async def last_seen(
        self, keys: Collection[VisitKey], *, since: datetime
    ) -> dict[VisitKey, datetime]:
        found: dict[VisitKey, datetime] = {}
        for e in (stored.event for stored in self._db.playback_events):
            key = (e.generation_id, e.kind, e.visitor)
            if key in keys and e.occurred_at >= since:
                found[key] = max(found.get(key, e.occurred_at), e.occurred_at)
        return found

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        result: dict[UUID, PlaybackCounts] = {}
        counted = [e.event for e in self._db.playback_events if e.counted]
        for generation_id in generation_ids:
            kinds = [e.kind for e in counted if e.generation_id == generation_id]
            result[generation_id] = PlaybackCounts(
                scans=kinds.count(PlaybackEventKind.SCAN),
                listens=kinds.count(PlaybackEventKind.LISTEN),
            )
        return result


class FakeVisitorSalts(Table):
    async def get_or_add(self, day: date, salt: bytes) -> bytes:
        if day not in self._db.visitor_salts:
            self._db.visitor_salts[day] = salt
            self._wrote()
        return self._db.visitor_salts[day]

    async def delete_before(self, day: date) -> int:
        old = [d for d in self._db.visitor_salts if d < day]
        for d in old:
            del self._db.visitor_salts[d]
        self._wrote()
        return len(old)


class FakeListens(Table):
    async def record(self, listen: Listen) -> None:
        stored = self._db.listens.get(listen.id)
        if stored is None:
            self._db.listens[listen.id] = listen
            self._db.listens_started[listen.id] = listen.at
        elif (stored.generation_id, stored.revision) == (listen.generation_id, listen.revision):
            heard = stored.heard | listen.heard
            self._db.listens[listen.id] = dataclasses.replace(stored, heard=heard, at=listen.at)
        self._wrote()

    async def tally(
        self, generation_id: UUID, revision: int, *, between: Between | None = None
    ) -> dict[Heard, int]:
        tally: dict[Heard, int] = {}
        for listen in self._started(between):
            if (listen.generation_id, listen.revision) == (generation_id, revision):
                tally[listen.heard] = tally.get(listen.heard, 0) + 1
        return tally

    async def tallies_of_owner(
        self, owner_id: UUID, *, between: Between
    ) -> dict[UUID, dict[Heard, int]]:
        found: dict[UUID, dict[Heard, int]] = {}
        for listen in self._started(between):
            generation = self._db.generations.get(listen.generation_id)
            if generation is None or generation.owner_id != owner_id:
                continue
            if listen.revision != (generation.live_revision or 1):
                continue
            tally = found.setdefault(listen.generation_id, {})
            tally[listen.heard] = tally.get(listen.heard, 0) + 1
        return found

    def _started(self, between: Between | None) -> list[Listen]:
        """The listens that started in `between` (all without it), as the table keeps
        the first report's time."""
        return [
            listen
            for listen_id, listen in self._db.listens.items()
            if between is None or between[0] <= self._db.listens_started[listen_id] < between[1]
        ]


class FakeRetiredCodes(Table):
    async def is_retired(self, public_code: str) -> bool:
        return public_code in self._db.retired_codes


class PlaybackPart(Part):
    """The playback feature's fake repositories."""

    retired_codes: RetiredCodeRepository

    playback_events: PlaybackEventRepository
    visitor_salts: VisitorSaltRepository
    listens: ListenRepository

    def attach(self) -> None:
        self.playback_events = FakePlaybackEvents(self)
        self.visitor_salts = FakeVisitorSalts(self)
        self.listens = FakeListens(self)
        self.retired_codes = FakeRetiredCodes(self)
        super().attach()
