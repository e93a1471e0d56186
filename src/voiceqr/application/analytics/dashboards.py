"""The owner's dashboards (U1, U2, U4-U8, P4): totals, scans and listens over time
beside the previous period, breakdowns, top codes, the hour-by-weekday heatmap, one
code's analytics, and usage.

Every read adds the roll-ups (days up to the last one rolled up) to the raw events of
the days after it, today included: a scan shows on the dashboard once its batch is
stored. Totals, breakdowns and top codes count whole UTC days; the charts over time
and the heatmap place each UTC hour in the owner's time zone, where the local clock
showed the start of that hour (in a zone offset by half an hour, a scan at 11:53 UTC
counts in the local hour of 11:00 UTC).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from voiceqr.application.analytics.ports import (
    AnalyticsUnitOfWork,
    TallyQuery,
    Usage,
)
from voiceqr.application.playback.playback import AccountListenThrough, Playback
from voiceqr.application.shared.ports import UnitOfWorkFactory
from voiceqr.domain.accounts.users import User
from voiceqr.domain.analytics.listening import best_listened
from voiceqr.domain.analytics.periods import (
    Bucket,
    DateRange,
    Period,
    buckets,
    local_hours,
    next_day_from,
    period,
    previous_buckets,
    previous_day_before,
    stretches,
)
from voiceqr.domain.analytics.tallies import (
    BREAKDOWNS,
    CodeTally,
    Counts,
    Dimension,
    Tally,
    ranked,
    summed,
)
from voiceqr.domain.playback.listening import ListenThrough
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.time_zones import is_time_zone


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals of a period (U1): codes, scans, visitors, listens, and the bots left out;
    and how far the listens that reported what they heard went (listen-through: on one
    code's dashboard with its curve and sentences, on the account's all codes together)."""

    codes: int
    counts: Counts
    listening: ListenThrough


@dataclass(frozen=True, slots=True)
class Point:
    """One bucket of a chart over time, and the same bucket of the previous period."""

    days: DateRange
    scans: int
    listens: int
    previous_days: DateRange
    previous_scans: int
    previous_listens: int


@dataclass(frozen=True, slots=True)
class TimeSeries:
    bucket: Bucket
    points: list[Point]

    @property
    def total(self) -> Counts:
        return Counts(sum(p.scans for p in self.points), sum(p.listens for p in self.points))

    @property
    def previous_total(self) -> Counts:
        points = self.points
        return Counts(
            sum(p.previous_scans for p in points), sum(p.previous_listens for p in points)
        )


@dataclass(frozen=True, slots=True)
class BreakdownRow:
    value: str  # "" is unknown (no country, an unreadable user agent...)
    counts: Counts
    share: float  # of the scans of the period, 0..1


@dataclass(frozen=True, slots=True)
class Breakdown:
    dimension: Dimension
    rows: list[BreakdownRow]


@dataclass(frozen=True, slots=True)
class TopCode:
    generation_id: UUID
    public_code: str
    text: str
    deleted: bool
    counts: Counts


@dataclass(frozen=True, slots=True)
class ListenedCode:
    """One of the best performing codes by listen-through (U6), with its scans and listens."""

    generation_id: UUID
    public_code: str
    text: str
    deleted: bool
    counts: Counts
    listening: ListenThrough


@dataclass(frozen=True, slots=True)
class Heatmap:
    """Scans and listens by local weekday (0 Monday) and hour (0-23)."""

    time_zone: str
    scans: list[list[int]]  # [weekday][hour]
    listens: list[list[int]]

    @property
    def busiest(self) -> int:
        return max((max(row) for row in self.scans), default=0)


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything one dashboard page shows: the account's, or one code's."""

    period: Period
    summary: Summary
    timeseries: TimeSeries
    breakdowns: dict[Dimension, Breakdown]
    heatmap: Heatmap
    top_by_scans: list[TopCode]  # empty on one code's dashboard
    top_by_listens: list[TopCode]
    best_by_listen_through: list[ListenedCode]  # empty on one code's dashboard
    rolled_through: date | None


TOP_CODES = 10


class Dashboards:
    """The owner's analytics: each read answers only for the owner's own codes."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[AnalyticsUnitOfWork],
        clock: Callable[[], datetime],
        listening: Playback,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._listening = listening

    def period(self, first: str | None, last: str | None, zone: str | None) -> Period:
        """The period a dashboard asked for, as ISO dates (both included) in an IANA time
        zone; without dates the last 30 days up to today there (see domain.periods)."""
        return period(first, last, zone, now=self._clock())

    async def preferred_zone(self, owner: User) -> str | None:
        """The time zone the owner chose in their profile, if any (a zone the time zone
        database no longer knows counts as none)."""
        async with self._uow() as uow:
            preferences = await uow.preferences.get(owner.id)
        chosen = preferences.time_zone if preferences is not None else ""
        return chosen if chosen and is_time_zone(chosen) else None

    async def period_for(
        self, owner: User, first: str | None, last: str | None, zone: str | None
    ) -> Period:
        """The period as `period` reads it, in the time zone asked for, else the one of
        the owner's profile, else UTC."""
        return self.period(first, last, zone or await self.preferred_zone(owner))

    async def summary(
        self, owner: User, period: Period, generation_id: UUID | None = None
    ) -> Summary:
        """Codes, scans, unique visitors, listens and bots left out over the period, and
        how far the listens went (average share heard, completion rate)."""
        listening = await self._listen_through(owner, period, generation_id)
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, generation_id)
            return await reader.summary(period, listening.total)

    async def timeseries(
        self, owner: User, period: Period, bucket: Bucket, generation_id: UUID | None = None
    ) -> TimeSeries:
        """Scans and listens per day, week or month, with the previous period beside."""
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, generation_id)
            return _series(period, bucket, await reader.local_days(period))

    async def breakdown(
        self, owner: User, period: Period, dimension: Dimension, generation_id: UUID | None = None
    ) -> Breakdown:
        """Scans, listens and visitors by country, device, OS, browser, source,
        placement, referrer or language, most scans first."""
        if dimension not in BREAKDOWNS:
            raise ValidationError(
                f"Break scans down by one of: {', '.join(BREAKDOWNS)}.", code="unknown_dimension"
            )
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, generation_id)
            return await reader.breakdown(period, dimension)

    async def heatmap(
        self, owner: User, period: Period, generation_id: UUID | None = None
    ) -> Heatmap:
        """Scans and listens by weekday and hour in the period's time zone."""
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, generation_id)
            return await reader.heatmap(period)

    async def top_codes(self, owner: User, period: Period, *, by: str = "scans") -> list[TopCode]:
        """The owner's codes with most scans (or listens) in the period."""
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, None)
            return await reader.top(period, by)

    async def best_listened(self, owner: User, period: Period) -> list[ListenedCode]:
        """The owner's codes whose listens in the period heard most of them (at least
        `MIN_LISTENS_TO_RANK` listens each: see domain.analytics.listening)."""
        listening = await self._listen_through(owner, period, None)
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, None)
            return await reader.best_listened(period, listening.by_code)

    async def dashboard(
        self, owner: User, period: Period, bucket: Bucket, generation_id: UUID | None = None
    ) -> Dashboard:
        """Every panel of the account's dashboard, or of one code's."""
        listening = await self._listen_through(owner, period, generation_id)
        async with self._uow() as uow:
            reader = await _Reader.open(uow, owner, generation_id)
            await reader.read_recent_together(period)
            by_scans, by_listens, by_listen_through = [], [], []
            if generation_id is None:
                by_scans = await reader.top(period, "scans")
                by_listens = await reader.top(period, "listens")
                by_listen_through = await reader.best_listened(period, listening.by_code)
            return Dashboard(
                period=period,
                summary=await reader.summary(period, listening.total),
                timeseries=_series(period, bucket, await reader.local_days(period)),
                breakdowns=await reader.breakdowns(period, BREAKDOWNS),
                heatmap=await reader.heatmap(period),
                top_by_scans=by_scans,
                top_by_listens=by_listens,
                best_by_listen_through=by_listen_through,
                rolled_through=reader.through,
            )

    async def _listen_through(
        self, owner: User, period: Period, generation_id: UUID | None
    ) -> AccountListenThrough:
        """The listen-through of the listens started in the period: of one code (the
        one playback computes for its page, with the curve and sentences; another
        owner's code is not found), or of every code of the owner."""
        between = period.bounds()
        if generation_id is None:
            return await self._listening.account_listen_through(owner, between=between)
        found = await self._listening.listen_through(owner, generation_id, between=between)
        return AccountListenThrough(total=found, by_code={generation_id: found})

    async def usage(self, owner: User) -> Usage:
        """Generations made this month and in all, characters spoken, storage used (P4)."""
        month_start = (
            self._clock().astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        async with self._uow() as uow:
            return await uow.analytics.usage(owner.id, month_start=month_start)


def _with_previous(period: Period) -> DateRange:
    """The UTC days of the period and of the previous one."""
    return DateRange(period.utc_days.first - timedelta(days=period.days.days), period.utc_days.last)


@dataclass
class _Reader:
    """Reads in one transaction, for one owner and maybe one of their codes."""

    uow: AnalyticsUnitOfWork
    owner_id: UUID
    generation_id: UUID | None
    through: date | None
    # Every dimension of the days not rolled up yet, per day, read at once for a page
    # of several panels (`read_recent_together`): one read of today, not one a panel.
    together: tuple[DateRange, dict[Dimension, list[Tally]]] | None = None

    @classmethod
    async def open(
        cls, uow: AnalyticsUnitOfWork, owner: User, generation_id: UUID | None
    ) -> _Reader:
        if (
            generation_id is not None
            and await uow.generations.get_owned(generation_id, owner.id) is None
        ):
            raise NotFound("No such generation.", code="generation_not_found")
        return cls(uow, owner.id, generation_id, await uow.analytics.rolled_through())

    async def read_recent_together(self, period: Period) -> None:
        """Read the days not rolled up yet of every panel of the period at once."""
        days = _with_previous(period)
        last = max(days.last, period.utc_days.last)
        _, raw = _split(DateRange(days.first, last), self.through)
        if raw is not None:
            query = self.query(Dimension.TOTAL, raw, per_day=True)
            self.together = raw, await self.uow.analytics.recent_by(query, list(Dimension))

    async def recent(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        """`recent_by`, from what `read_recent_together` read where it covers the query."""
        if self.together is None or not (
            self.together[0].first <= query.days.first and query.days.last <= self.together[0].last
        ):
            return await self.uow.analytics.recent_by(query, dimensions)
        found: dict[Dimension, list[Tally]] = {}
        for dimension in dimensions:
            tallies = [t for t in self.together[1][dimension] if t.day in query.days]
            if query.per_day:
                found[dimension] = tallies
            else:
                found[dimension] = [
                    Tally(value, counts) for value, counts in summed(tallies).items()
                ]
        return found

    async def tallies(self, dimension: Dimension, days: DateRange, *, per_day: bool) -> list[Tally]:
        query = TallyQuery(self.owner_id, dimension, days, self.generation_id, per_day)
        found: list[Tally] = []
        rolled, raw = _split(days, self.through)
        if rolled is not None:
            found += await self.uow.analytics.rolled_up(dataclasses.replace(query, days=rolled))
        if raw is not None:
            recent = dataclasses.replace(query, days=raw)
            found += (await self.recent(recent, [dimension]))[dimension]
        return found

    async def local_days(self, period: Period) -> dict[date, Counts]:
        """Scans and listens of each local day of the period and the previous one.

        The roll-ups are read per stretch of days of one UTC offset, each day in two
        halves (the hours before and after local midnight); the days not rolled up yet
        (their hours rolled up so far and the raw events after) and the days the clocks
        change on, hour by hour.
        """
        days = _with_previous(period)
        rolled, raw = _split(days, self.through)
        hours: list[Tally] = []
        found: dict[date, Counts] = {}
        if rolled is not None:
            for stretch in stretches(period.zone, rolled):
                query = self.query(Dimension.HOUR, stretch.days, per_day=True)
                if stretch.minutes is None:
                    hours += await self.uow.analytics.rolled_up(query)
                    continue
                if stretch.minutes >= 0:
                    cutoff, shifts = next_day_from(stretch.minutes), {"before": 0, "after": 1}
                else:
                    cutoff, shifts = (
                        previous_day_before(stretch.minutes),
                        {"before": -1, "after": 0},
                    )
                for tally in await self.uow.analytics.rolled_up_halves(query, cutoff):
                    assert tally.day is not None
                    day = tally.day + timedelta(days=shifts[tally.value])
                    found[day] = found.get(day, Counts()) + _plays(tally.counts)
        if raw is not None:
            query = self.query(Dimension.HOUR, raw, per_day=True)
            hours += (await self.recent(query, [Dimension.HOUR]))[Dimension.HOUR]
        for day, counts in _local_days(period, hours).items():
            found[day] = found.get(day, Counts()) + counts
        return found

    async def heatmap(self, period: Period) -> Heatmap:
        """Scans and listens by local weekday and hour: the roll-ups per stretch of one
        UTC offset summed by UTC weekday and hour and moved by the offset; the raw
        events, the days the clocks change on and the days at the edges, hour by hour."""
        scans = [[0] * 24 for _ in range(7)]
        listens = [[0] * 24 for _ in range(7)]
        rolled, raw = _split(period.utc_days, self.through)
        hours: list[Tally] = []
        if rolled is not None:
            for stretch in stretches(period.zone, rolled, keep=period.days):
                query = self.query(Dimension.HOUR, stretch.days, per_day=True)
                if stretch.minutes is None:
                    hours += await self.uow.analytics.rolled_up(query)
                    continue
                for weekday, hour, counts in await self.uow.analytics.rolled_up_week(query):
                    cell = ((weekday * 24 + hour) * 60 + stretch.minutes) // 60 % 168
                    scans[cell // 24][cell % 24] += counts.scans
                    listens[cell // 24][cell % 24] += counts.listens
        if raw is not None:
            query = self.query(Dimension.HOUR, raw, per_day=True)
            hours += (await self.recent(query, [Dimension.HOUR]))[Dimension.HOUR]
        for tally in hours:
            assert tally.day is not None
            day, hour = local_hours(period.zone, tally.day)[int(tally.value)]
            if day in period.days:
                scans[day.weekday()][hour] += tally.counts.scans
                listens[day.weekday()][hour] += tally.counts.listens
        return Heatmap(period.zone.key, scans, listens)

    def query(self, dimension: Dimension, days: DateRange, *, per_day: bool) -> TallyQuery:
        return TallyQuery(self.owner_id, dimension, days, self.generation_id, per_day)

    async def summary(self, period: Period, listening: ListenThrough) -> Summary:
        totals = summed(await self.tallies(Dimension.TOTAL, period.days, per_day=False))
        if self.generation_id is None:
            codes = (await self.uow.analytics.usage(self.owner_id, month_start=_EPOCH)).codes
        else:
            codes = 1
        return Summary(codes=codes, counts=totals.get("", Counts()), listening=listening)

    async def breakdown(self, period: Period, dimension: Dimension) -> Breakdown:
        return (await self.breakdowns(period, [dimension]))[dimension]

    async def breakdowns(
        self, period: Period, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, Breakdown]:
        """Several breakdowns, read together (one query from the roll-ups, one from the
        raw events)."""
        query = self.query(Dimension.TOTAL, period.days, per_day=False)
        found: dict[Dimension, list[Tally]] = {d: [] for d in dimensions}
        rolled, raw = _split(period.days, self.through)
        for days, read in (
            (rolled, self.uow.analytics.rolled_up_by),
            (raw, self.recent),
        ):
            if days is not None:
                for dimension, tallies in (
                    await read(dataclasses.replace(query, days=days), dimensions)
                ).items():
                    found[dimension] += tallies
        return {d: _breakdown(d, tallies) for d, tallies in found.items()}

    async def code_counts(self, period: Period) -> dict[UUID, Counts]:
        """The scans and listens of each of the owner's codes hit in the period."""
        found: dict[UUID, Counts] = {}
        rolled, raw = _split(period.days, self.through)
        tallies: list[CodeTally] = []
        if rolled is not None:
            tallies += await self.uow.analytics.by_code(self.owner_id, rolled, rolled_up=True)
        if raw is not None:
            tallies += await self.uow.analytics.by_code(self.owner_id, raw, rolled_up=False)
        for tally in tallies:
            found[tally.generation_id] = found.get(tally.generation_id, Counts()) + tally.counts
        return found

    async def best_listened(
        self, period: Period, by_code: dict[UUID, ListenThrough]
    ) -> list[ListenedCode]:
        best = best_listened(by_code, limit=TOP_CODES)
        counts = await self.code_counts(period)
        labels = await self.uow.analytics.labels(self.owner_id, [gid for gid, _ in best])
        return [
            ListenedCode(
                gid,
                labels[gid].public_code,
                labels[gid].text,
                labels[gid].deleted,
                counts.get(gid, Counts()),
                listening,
            )
            for gid, listening in best
            if gid in labels
        ]

    async def top(self, period: Period, by: str) -> list[TopCode]:
        if by not in ("scans", "listens"):
            raise ValidationError("Rank codes by scans or listens.", code="unknown_ranking")
        rolled, raw = _split(period.days, self.through)
        order = await self.uow.analytics.top_by_code(
            self.owner_id, rolled, raw, by=by, limit=TOP_CODES
        )
        labels = await self.uow.analytics.labels(
            self.owner_id, [tally.generation_id for tally in order]
        )
        return [
            TopCode(gid, labels[gid].public_code, labels[gid].text, labels[gid].deleted, counts)
            for gid, counts in ((tally.generation_id, tally.counts) for tally in order)
            if gid in labels
        ]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _breakdown(dimension: Dimension, tallies: list[Tally]) -> Breakdown:
    by_value = summed(tallies)
    scans = sum(c.scans for c in by_value.values())
    rows = [
        BreakdownRow(value, counts, counts.scans / scans if scans else 0.0)
        for value, counts in ranked(by_value)
    ]
    return Breakdown(dimension, rows)


def _split(days: DateRange, through: date | None) -> tuple[DateRange | None, DateRange | None]:
    """The days read from the roll-ups, and the days read from the raw events."""
    if through is None:
        return None, days
    if days.last <= through:
        return days, None
    if days.first > through:
        return None, days
    return DateRange(days.first, through), DateRange(through + timedelta(days=1), days.last)


def _plays(counts: Counts) -> Counts:
    """Scans and listens only: visitors are not counted per hour."""
    return Counts(counts.scans, counts.listens)


def _local_days(period: Period, hours: list[Tally]) -> dict[date, Counts]:
    """Scans and listens of each local day, from the tallies of UTC hours."""
    scans: dict[date, int] = {}
    listens: dict[date, int] = {}
    for tally in hours:
        assert tally.day is not None
        day, _ = local_hours(period.zone, tally.day)[int(tally.value)]
        scans[day] = scans.get(day, 0) + tally.counts.scans
        listens[day] = listens.get(day, 0) + tally.counts.listens
    return {day: Counts(scans[day], listens[day]) for day in scans}


def _series(period: Period, bucket: Bucket, per_day: dict[date, Counts]) -> TimeSeries:
    pieces = buckets(period.days, bucket)
    before = previous_buckets(pieces)
    now, then = _bucket_totals(pieces, per_day), _bucket_totals(before, per_day)
    points = [
        Point(piece, scans, listens, earlier, previous_scans, previous_listens)
        for piece, (scans, listens), earlier, (previous_scans, previous_listens) in zip(
            pieces, now, before, then, strict=True
        )
    ]
    return TimeSeries(bucket, points)


def _bucket_totals(pieces: list[DateRange], per_day: dict[date, Counts]) -> list[tuple[int, int]]:
    """Scans and listens of each of the contiguous `pieces`: each day placed in its
    piece by bisection (a year of daily buckets is 365 of them, two years of days)."""
    scans, listens = [0] * len(pieces), [0] * len(pieces)
    if pieces:
        starts = [piece.first for piece in pieces]
        first, last = pieces[0].first, pieces[-1].last
        for day, counts in per_day.items():
            if first <= day <= last:
                index = bisect_right(starts, day) - 1
                scans[index] += counts.scans
                listens[index] += counts.listens
    return list(zip(scans, listens, strict=True))
