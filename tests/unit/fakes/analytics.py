"""The fake roll-ups: the same tallies as the SQL ones, counted in Python from the fake
database's events."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime
from uuid import UUID

from tests.unit.fakes.database import FakeDatabase, Part, Table
from voiceqr.application.analytics.ports import (
    AnalyticsRepository,
    CodeLabel,
    RollUpRepository,
    TallyQuery,
    Usage,
)
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import CodeTally, Counts, Dimension, Tally
from voiceqr.domain.playback.events import PlaybackEventKind, StoredEvent

# (generation, owner, day, dimension, value) -> counts
RollUpKey = tuple[UUID, UUID, date, str, str]


def value_of(stored: StoredEvent, dimension: Dimension) -> str:
    event, device = stored.event, stored.device
    return {
        Dimension.TOTAL: "",
        Dimension.HOUR: f"{event.occurred_at.astimezone(UTC).hour:02d}",
        Dimension.COUNTRY: event.country,
        Dimension.DEVICE: device.device,
        Dimension.OS: device.os,
        Dimension.BROWSER: device.browser,
        Dimension.SOURCE: str(event.source),
        Dimension.PLACEMENT: event.placement,
        Dimension.REFERRER: event.referrer_host,
        Dimension.LANGUAGE: event.language,
    }[dimension]


def _day(stored: StoredEvent) -> date:
    return stored.event.occurred_at.astimezone(UTC).date()


def _count(events: list[StoredEvent]) -> Counts:
    scans = [e for e in events if e.counted and e.event.kind is PlaybackEventKind.SCAN]
    # A visitor is unique per code and per day (their key is made with a salt of the day).
    return Counts(
        scans=len(scans),
        listens=sum(1 for e in events if e.counted and e.event.kind is PlaybackEventKind.LISTEN),
        visitors=len({(e.event.generation_id, _day(e), e.event.visitor) for e in scans}),
        bots_left_out=sum(
            1 for e in events if e.device.bot and e.event.kind is PlaybackEventKind.SCAN
        ),
    )


class FakeRollUps(Table):
    async def rolled_through(self) -> date | None:
        return self._db.analytics_rolled_through

    def _owner_of(self, db: FakeDatabase, generation_id: UUID) -> UUID | None:
        generation = db.generations.get(generation_id)
        return None if generation is None else generation.owner_id

    async def first_event_day(self) -> date | None:
        return min((_day(e) for e in self._db.playback_events), default=None)

    async def roll_up(self, day: date) -> None:
        db = self._db
        rows = {key: counts for key, counts in db.analytics_daily.items() if key[2] != day}
        groups: dict[RollUpKey, list[StoredEvent]] = {}
        for stored in db.playback_events:
            owner = self._owner_of(db, stored.event.generation_id)
            if owner is None or _day(stored) != day:
                continue
            for dimension in Dimension:
                key = (
                    stored.event.generation_id,
                    owner,
                    day,
                    str(dimension),
                    value_of(stored, dimension),
                )
                groups.setdefault(key, []).append(stored)
        rows.update({key: _count(events) for key, events in groups.items()})
        db.analytics_daily = rows
        if db.analytics_rolled_through is None or db.analytics_rolled_through < day:
            db.analytics_rolled_through = day
        self._wrote()

    async def roll_up_hours(self, until: datetime) -> None:
        # The hours rolled up only make the database's reads faster: `recent_hours`
        # reads the events, as the real one says the same with or without them.
        return None

    async def delete_events_before(self, moment: datetime) -> int:
        db = self._db
        kept = [e for e in db.playback_events if e.event.occurred_at >= moment]
        deleted = len(db.playback_events) - len(kept)
        db.playback_events = kept
        self._wrote()
        return deleted


class FakeAnalytics(Table):
    def _owner_of(self, db: FakeDatabase, generation_id: UUID) -> UUID | None:
        generation = db.generations.get(generation_id)
        return None if generation is None else generation.owner_id

    def _events(
        self, owner_id: UUID, days: DateRange, generation_id: UUID | None
    ) -> list[StoredEvent]:
        db = self._db
        return [
            e
            for e in db.playback_events
            if self._owner_of(db, e.event.generation_id) == owner_id
            and _day(e) in days
            and (generation_id is None or e.event.generation_id == generation_id)
        ]

    async def rolled_through(self) -> date | None:
        return self._db.analytics_rolled_through

    async def recent_hours(self, query: TallyQuery) -> list[Tally]:
        return await self.raw(dataclasses.replace(query, dimension=Dimension.HOUR, per_day=True))

    async def rolled_up(self, query: TallyQuery) -> list[Tally]:
        found: dict[tuple[str, date | None], Counts] = {}
        for (
            generation_id,
            owner_id,
            day,
            dimension,
            value,
        ), counts in self._db.analytics_daily.items():
            if (
                owner_id == query.owner_id
                and dimension == query.dimension
                and day in query.days
                and (query.generation_id is None or generation_id == query.generation_id)
            ):
                key = (value, day if query.per_day else None)
                found[key] = found.get(key, Counts()) + counts
        return [Tally(value, counts, day) for (value, day), counts in found.items()]

    async def rolled_up_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        return {
            d: await self.rolled_up(dataclasses.replace(query, dimension=d)) for d in dimensions
        }

    async def recent_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        return await self.raw_by(query, dimensions)

    async def raw_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        return {d: await self.raw(dataclasses.replace(query, dimension=d)) for d in dimensions}

    async def rolled_up_halves(self, query: TallyQuery, cutoff: int) -> list[Tally]:
        hours = dataclasses.replace(query, dimension=Dimension.HOUR, per_day=True)
        found: dict[tuple[str, date | None], Counts] = {}
        for tally in await self.rolled_up(hours):
            key = ("before" if int(tally.value) < cutoff else "after", tally.day)
            counts = dataclasses.replace(tally.counts, visitors=0)  # not counted per half
            found[key] = found.get(key, Counts()) + counts
        return [Tally(value, counts, day) for (value, day), counts in found.items()]

    async def rolled_up_week(self, query: TallyQuery) -> list[tuple[int, int, Counts]]:
        hours = dataclasses.replace(query, dimension=Dimension.HOUR, per_day=True)
        found: dict[tuple[int, int], Counts] = {}
        for tally in await self.rolled_up(hours):
            assert tally.day is not None
            key = (tally.day.weekday(), int(tally.value))
            found[key] = found.get(key, Counts()) + tally.counts
        return [(weekday, hour, counts) for (weekday, hour), counts in found.items()]

    async def raw(self, query: TallyQuery) -> list[Tally]:
        groups: dict[tuple[str, date | None], list[StoredEvent]] = {}
        for stored in self._events(query.owner_id, query.days, query.generation_id):
            key = (value_of(stored, query.dimension), _day(stored) if query.per_day else None)
            groups.setdefault(key, []).append(stored)
        return [Tally(value, _count(events), day) for (value, day), events in groups.items()]

    async def by_code(self, owner_id: UUID, days: DateRange, *, rolled_up: bool) -> list[CodeTally]:
        found: dict[UUID, Counts] = {}
        if rolled_up:
            for (
                generation_id,
                owner,
                day,
                dimension,
                _,
            ), counts in self._db.analytics_daily.items():
                if owner == owner_id and dimension == Dimension.TOTAL and day in days:
                    found[generation_id] = found.get(generation_id, Counts()) + counts
            return [CodeTally(gid, counts) for gid, counts in found.items()]
        groups: dict[UUID, list[StoredEvent]] = {}
        for stored in self._events(owner_id, days, None):
            groups.setdefault(stored.event.generation_id, []).append(stored)
        return [CodeTally(gid, _count(events)) for gid, events in groups.items()]

    async def top_by_code(
        self,
        owner_id: UUID,
        rolled: DateRange | None,
        raw: DateRange | None,
        *,
        by: str,
        limit: int,
    ) -> list[CodeTally]:
        found: dict[UUID, Counts] = {}
        for days, rolled_up in ((rolled, True), (raw, False)):
            if days is not None:
                for tally in await self.by_code(owner_id, days, rolled_up=rolled_up):
                    gid = tally.generation_id
                    found[gid] = found.get(gid, Counts()) + tally.counts
        order = sorted(
            (item for item in found.items() if getattr(item[1], by) > 0),
            key=lambda item: (-getattr(item[1], by), -item[1].scans, str(item[0])),
        )
        return [CodeTally(gid, counts) for gid, counts in order[:limit]]

    async def labels(self, owner_id: UUID, generation_ids: list[UUID]) -> dict[UUID, CodeLabel]:
        return {
            g.id: CodeLabel(g.public_code, g.text[:120], g.deleted_at is not None)
            for g in self._db.generations.values()
            if g.owner_id == owner_id and g.id in generation_ids
        }

    async def usage(self, owner_id: UUID, *, month_start: datetime) -> Usage:
        owned = [g for g in self._db.generations.values() if g.owner_id == owner_id]
        live = [g for g in owned if g.deleted_at is None]
        return Usage(
            generations_total=len(owned),
            generations_this_month=sum(1 for g in owned if g.created_at >= month_start),
            codes=len(live),
            characters_spoken=sum(g.characters_billed for g in owned),
            storage_bytes=sum(g.audio_bytes or 0 for g in live),
        )


class AnalyticsPart(Part):
    """The analytics feature's fake repositories."""

    analytics: AnalyticsRepository
    analytics_rollups: RollUpRepository

    def attach(self) -> None:
        self.analytics = FakeAnalytics(self)
        self.analytics_rollups = FakeRollUps(self)
        super().attach()
