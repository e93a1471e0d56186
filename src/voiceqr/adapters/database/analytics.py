"""Reading the analytics dashboards on SQLAlchemy Core: the roll-ups of scans and
listens (written by `analytics_rollups.py`, their tables in `analytics_tables.py`)
beside the raw events of the days not rolled up yet (counted as `analytics_events.py`
says).

A range summed over its days reads the months it covers whole or mostly in the monthly
tables (less their days outside the range) and only the days at its edges day by day:
a year is about 13 + 12 rows per value instead of 365 (the ranking of a year's codes,
one code's breakdowns).

The days not rolled up yet are read from the raw events, but for the account's hours
(the charts over time and the heatmap): the complete hours of those days are rolled up
per owner at each pass of the job, and only the raw events after the last of them are
read (`recent_hours`).

The hour of the day is a dimension (`hour`, "00" to "23" UTC) rather than a separate
hour-of-week table: kept per day it can be limited to a date range and moved exactly
into any time zone, daylight saving time included.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Executable,
    Select,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.analytics_events import (
    day_of,
    event_counts,
    events_params,
    events_where,
    owner_of_event,
    per_code_statement,
    raw_by_statement,
    start_of,
    union,
)
from voiceqr.adapters.database.analytics_rollups import RolledSoFar, SqlRollUps
from voiceqr.adapters.database.analytics_tables import (
    COUNTS,
    WEEK_HOURS,
    analytics_account_daily,
    analytics_account_hours,
    analytics_account_monthly,
    analytics_daily,
    analytics_hours,
    analytics_monthly,
    as_date,
    summed,
    week_hour,
)
from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.shared import Part, Repository
from voiceqr.application.analytics.ports import (
    AnalyticsRepository,
    CodeLabel,
    RollUpRepository,
    TallyQuery,
    Usage,
)
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.rollups import split_by_month
from voiceqr.domain.analytics.tallies import CodeTally, Counts, Dimension, Tally


def _additive(counts: Counts) -> Counts:
    """The counts that add up over the hours of a day: all but the visitors."""
    return Counts(counts.scans, counts.listens, 0, counts.bots_left_out)


def _less(counts: Counts) -> Counts:
    return Counts(-counts.scans, -counts.listens, 0, -counts.bots_left_out)


def _within(column: ColumnElement[Any], ranges: Sequence[DateRange]) -> ColumnElement[bool]:
    """The column's dates in one of the ranges."""
    inside = [and_(column >= r.first, column <= r.last) for r in ranges]
    return inside[0] if len(inside) == 1 else or_(*inside)


def _counts(row: Any) -> Counts:
    return Counts(int(row.scans), int(row.listens), int(row.visitors), int(row.bots_left_out))


@functools.lru_cache(maxsize=64)
def _recent_statement(
    dialect: str, dimensions: tuple[Dimension, ...], one_code: bool, with_raw: bool
) -> Select[Any] | CompoundSelect[Any]:
    """The days not rolled up yet: their hours rolled up so far (`first_day` to
    `last_day`) and, `with_raw`, the raw events after them (see `raw_by_statement`).
    Made once per shape: a statement made anew is keyed anew on every run, the raw
    events' part a few milliseconds of each dashboard's."""
    table = analytics_hours if one_code else analytics_account_hours
    t = table.c
    if one_code:
        # The code's rows by the primary key (see `_rollups`).
        where = [
            t.generation_id == bindparam("generation_id"),
            func.coalesce(t.owner_id, None) == bindparam("owner_id"),
        ]
    else:
        where = [t.owner_id == bindparam("owner_id")]
    named = [str(d) for d in dimensions]
    rolled = (
        select(t.dimension, t.value, t.day, *summed(table))
        .where(
            *where,
            t.dimension.in_(named) if len(named) > 1 else t.dimension == named[0],
            t.day >= bindparam("first_day", type_=Date),
            t.day <= bindparam("last_day", type_=Date),
        )
        .group_by(t.dimension, t.value, t.day)
    )
    if not with_raw:
        return rolled
    return union_all(rolled, raw_by_statement(dialect, dimensions, one_code, True))


class SqlAnalytics(Repository):
    def __init__(self, connection: AsyncConnection, rolled: RolledSoFar) -> None:
        super().__init__(connection)
        self._rolled = rolled
        self._custom_plans = False
        self._serial = False

    @property
    def _dialect(self) -> str:
        return self._db.dialect.name

    async def _plan_for_the_values(self) -> None:
        """Plan one code's raw events' reads of this transaction for their values, on
        PostgreSQL. A prepared statement run often gets a plan for any value, and for
        any code and any days that is the index of visits by code: it walks a year of
        a popular code's events to find today's (90 ms in place of 2 on 10 million).
        The account's reads keep their cached plans (by time, whatever the values)."""
        if self._dialect == "postgresql" and not self._custom_plans:
            await self._db.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
            self._custom_plans = True

    async def _read(
        self, statement: Executable, params: dict[str, Any] | None = None, *, serial: bool = True
    ) -> Any:
        """Run a dashboard's read, on PostgreSQL without parallel workers: each read
        sums a few hundred rows of roll-ups or an hour of events, and the planner's
        estimates (an owner's every row) had it start two workers for a bitmap scan of
        a millisecond, 15 ms to start and gather them on two busy cores. The reads of
        the raw events of whole days (`raw_by`: not the dashboards' but a comparison's)
        keep them (`serial` False)."""
        if serial and self._dialect == "postgresql" and not self._serial:
            await self._db.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            self._serial = True
        return await self._db.execute(statement, params)

    def _few(self, term: ColumnElement[bool]) -> ColumnElement[bool]:
        """`term`, said to hold for few rows. The ranking reads an owner's rows from the
        index of (owner, dimension, day or month, code, counts) alone; where every row
        is one owner's (the statistics of a database of one account), SQLite would
        rather walk the primary key code by code, several times slower."""
        if self._dialect == "sqlite":
            return func.likelihood(term, literal_column("0.001"))
        return term

    async def rolled_through(self) -> date | None:
        return (await self._rolled.get())[0]

    async def recent_hours(self, query: TallyQuery) -> list[Tally]:
        hours = dataclasses.replace(query, dimension=Dimension.HOUR, per_day=True)
        return (await self.recent_by(hours, [Dimension.HOUR]))[Dimension.HOUR]

    async def recent_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        _, until = await self._rolled.get()
        params = events_params(query.owner_id, query.days, query.generation_id)
        if until is None or until <= params["start"]:
            # Before the first hour rolled up of these days there is nothing else to read.
            return await self.raw_by(query, dimensions)
        one_code = query.generation_id is not None
        params |= {"first_day": query.days.first, "last_day": query.days.last}
        if until >= params["end"]:
            statement = _recent_statement(self._dialect, tuple(dimensions), one_code, False)
            return await self._gathered(statement, dimensions, per_day=query.per_day, params=params)
        # The raw events after the last hour rolled up (the hour under way, or so), their
        # visitors counted only if not seen in the hours before.
        if one_code:
            await self._plan_for_the_values()
        params |= {"start": until, "day_start": start_of(until.date())}
        statement = _recent_statement(self._dialect, tuple(dimensions), one_code, True)
        return await self._gathered(statement, dimensions, per_day=query.per_day, params=params)

    def _rollups(
        self,
        query: TallyQuery,
        dimensions: Sequence[str] = (),
        *,
        monthly: bool = False,
        days: Sequence[DateRange] = (),
    ) -> tuple[Table, list[Any]]:
        """The roll-up table the query reads, daily or monthly, and the rows of it that it
        reads: of the query's dimension (or of `dimensions`, by name), in the query's days
        (or in `days`; a monthly table's rows by the first day of their month)."""
        if query.generation_id is None:
            table = analytics_account_monthly if monthly else analytics_account_daily
            where = [table.c.owner_id == query.owner_id]
        else:
            table = analytics_monthly if monthly else analytics_daily
            # The owner's term is written so that no index serves it: the code's rows
            # are found by the primary key, not among every code of the owner.
            where = [
                table.c.generation_id == query.generation_id,
                func.coalesce(table.c.owner_id, None) == query.owner_id,
            ]
        t = table.c
        named = [str(d) for d in dimensions or [query.dimension]]
        where += [
            t.dimension.in_(named) if len(named) > 1 else t.dimension == named[0],
            _within(t.month if monthly else t.day, days or [query.days]),
        ]
        return table, where

    async def _summing(
        self, query: TallyQuery, dimensions: Sequence[Dimension] = ()
    ) -> list[tuple[Table, list[Any], int]]:
        """The roll-ups to read for the query, each with the sign it is summed with:
        per day, the daily ones; summed over the days, the rolled-up months in the
        monthly ones, less their days outside the range, and the days at the edges."""
        if query.per_day:
            return [(*self._rollups(query, dimensions), 1)]
        split = split_by_month(query.days, await self.rolled_through())
        found = []
        if split.months is not None:
            found.append((*self._rollups(query, dimensions, monthly=True, days=[split.months]), 1))
        if split.less:
            found.append((*self._rollups(query, dimensions, days=split.less), -1))
        if split.edges:
            found.append((*self._rollups(query, dimensions, days=split.edges), 1))
        return found

    async def rolled_up(self, query: TallyQuery) -> list[Tally]:
        return (await self.rolled_up_by(query, [query.dimension]))[query.dimension]

    async def rolled_up_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        selects = []
        for table, where, sign in await self._summing(query, dimensions):
            t = table.c
            keys: list[Any] = [t.dimension, t.value]
            if query.per_day:
                keys.append(t.day)
            selects.append(select(*keys, *summed(table, sign)).where(*where).group_by(*keys))
        return await self._gathered(union(selects), dimensions, per_day=query.per_day)

    async def rolled_up_halves(self, query: TallyQuery, cutoff: int) -> list[Tally]:
        # A day's hours add up to its total (visitors aside, counted per hour): the
        # smaller half is read hour by hour and the other is the total less it, a
        # day's one row in place of its 24 in UTC, 2 or 3 in most time zones.
        table, where = self._rollups(query, [Dimension.HOUR, Dimension.TOTAL])
        t = table.c
        total = t.dimension == str(Dimension.TOTAL)
        if cutoff <= 12:
            read, rest, hours = "before", "after", t.value < f"{cutoff:02d}"
        else:
            read, rest, hours = "after", "before", t.value >= f"{cutoff:02d}"
        part = case((total, "total"), else_=read).label("value")
        statement = (
            select(part, t.day, *summed(table))
            .where(*where, or_(total, hours))
            .group_by(part, t.day)
        )
        found: dict[tuple[str, date], Counts] = {}
        for tally in await self._tallies(statement, per_day=True):
            assert tally.day is not None
            counts = _additive(tally.counts)
            if tally.value == "total":
                found[rest, tally.day] = found.get((rest, tally.day), Counts()) + counts
            else:
                found[read, tally.day] = found.get((read, tally.day), Counts()) + counts
                found[rest, tally.day] = found.get((rest, tally.day), Counts()) + _less(counts)
        return [
            Tally(half, counts, day) for (half, day), counts in found.items() if not counts.empty
        ]

    async def rolled_up_week(self, query: TallyQuery) -> list[tuple[int, int, Counts]]:
        hours = dataclasses.replace(query, dimension=Dimension.HOUR, per_day=False)
        split = split_by_month(query.days, await self.rolled_through())
        selects = []
        if split.months is not None:
            table, where = self._rollups(hours, [WEEK_HOURS], monthly=True, days=[split.months])
            t = table.c
            selects.append(
                select(t.value.label("slot"), *summed(table)).where(*where).group_by(t.value)
            )
        for days, sign in ((split.less, -1), (split.edges, 1)):
            if days:
                table, where = self._rollups(hours, days=days)
                t = table.c
                slot = week_hour(t.day, t.value, self._dialect).label("slot")
                selects.append(select(slot, *summed(table, sign)).where(*where).group_by(slot))
        found: dict[str, Counts] = {}
        for row in await self._read(union(selects)):
            found[row.slot] = found.get(row.slot, Counts()) + _counts(row)
        return [
            (int(slot[0]), int(slot[1:]), counts)
            for slot, counts in found.items()
            if not counts.empty
        ]

    async def raw(self, query: TallyQuery) -> list[Tally]:
        return (await self.raw_by(query, [query.dimension]))[query.dimension]

    async def raw_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        if query.generation_id is not None:
            await self._plan_for_the_values()
        statement = raw_by_statement(
            self._dialect, tuple(dimensions), query.generation_id is not None
        )
        params = events_params(query.owner_id, query.days, query.generation_id)
        return await self._gathered(
            statement, dimensions, per_day=query.per_day, params=params, serial=False
        )

    async def _gathered(
        self,
        statement: Select[Any] | CompoundSelect[Any],
        dimensions: Sequence[Dimension],
        *,
        per_day: bool,
        params: dict[str, Any] | None = None,
        serial: bool = True,
    ) -> dict[Dimension, list[Tally]]:
        """The tallies of rows of (dimension, value, day, counts), summed by dimension,
        value and (if `per_day`) day; a value with nothing counted is left out (a
        month's value seen only on its days outside the range sums to nothing)."""
        found: dict[Dimension, dict[tuple[str, date | None], Counts]] = {d: {} for d in dimensions}
        for row in await self._read(statement, params, serial=serial):
            key = (str(row.value), as_date(row.day) if per_day else None)
            tallies = found[Dimension(row.dimension)]
            tallies[key] = tallies.get(key, Counts()) + _counts(row)
        return {
            d: [
                Tally(value, counts, day)
                for (value, day), counts in tallies.items()
                if not counts.empty
            ]
            for d, tallies in found.items()
        }

    async def _tallies(self, statement: Select[Any], per_day: bool) -> list[Tally]:
        rows = await self._read(statement)
        return [
            Tally(str(row.value), _counts(row), as_date(row.day) if per_day else None)
            for row in rows
        ]

    async def by_code(self, owner_id: UUID, days: DateRange, *, rolled_up: bool) -> list[CodeTally]:
        statement, params = await self._by_code(owner_id, days, rolled_up=rolled_up)
        # Summed as plain numbers: a thousand codes' rows, a Counts for each was most
        # of the time of a year's ranking.
        found: dict[UUID, list[int]] = {}
        for generation_id, *counts in await self._read(statement, params, serial=rolled_up):
            total = found.setdefault(generation_id, [0, 0, 0, 0])
            for n, count in enumerate(counts):
                total[n] += int(count)
        # A code seen only on the days of a month outside the range sums to nothing.
        return [CodeTally(gid, Counts(*total)) for gid, total in found.items() if any(total)]

    async def top_by_code(
        self,
        owner_id: UUID,
        rolled: DateRange | None,
        raw: DateRange | None,
        *,
        by: str,
        limit: int,
    ) -> list[CodeTally]:
        # Ranked in the database: a thousand codes' rows (twice, rolled up and raw)
        # made into Python objects cost more than reading them.
        pieces: list[Select[Any]] = []
        params: dict[str, Any] = {}
        if rolled is not None:
            pieces.append((await self._by_code(owner_id, rolled, rolled_up=True))[0])
        if raw is not None:
            statement, found = await self._recent_by_code(owner_id, raw)
            pieces.append(statement)
            params |= found or {}
        if not pieces:
            return []
        rows = union(pieces).subquery()
        r = rows.c
        sums = [func.sum(r[name]) for name in COUNTS]
        ranking = sums[COUNTS.index(by)]
        statement = (
            select(r.generation_id, *sums)
            .group_by(r.generation_id)
            .having(ranking > 0)
            .order_by(ranking.desc(), sums[0].desc(), r.generation_id)
            .limit(limit)
        )
        return [
            CodeTally(gid, Counts(*(int(n) for n in counts)))
            for gid, *counts in await self._read(statement, params or None)
        ]

    async def _by_code(
        self, owner_id: UUID, days: DateRange, *, rolled_up: bool
    ) -> tuple[Select[Any], dict[str, Any] | None]:
        """Rows of (code, counts) of the owner's codes over the days, a code's on one
        row or more (to be summed), from the roll-ups or from the raw events; and the
        statement's parameters."""
        if not rolled_up:
            c = playback_events.c
            # Per code and day (a visitor is unique per day), summed by the caller.
            raw = (
                select(c.generation_id, *event_counts())
                .join(generations, owner_of_event())
                .where(*events_where(one_code=False, dialect=self._dialect))
                .group_by(c.generation_id, day_of(self._dialect))
            )
            return raw, events_params(owner_id, days, None)
        split = split_by_month(days, await self.rolled_through())
        # One branch a range: each is read from the index alone (PostgreSQL reads
        # the rows of two ranges ORed together through a bitmap, from the table).
        pieces = [(analytics_daily, analytics_daily.c.day, edge, 1) for edge in split.edges]
        pieces += [(analytics_daily, analytics_daily.c.day, days, -1) for days in split.less]
        if split.months is not None:
            pieces.append((analytics_monthly, analytics_monthly.c.month, split.months, 1))
        branches = union(
            [
                select(table.c.generation_id, *summed(table, sign))
                .where(
                    self._few(table.c.owner_id == owner_id),
                    table.c.dimension == str(Dimension.TOTAL),
                    column >= within.first,
                    column <= within.last,
                )
                .group_by(table.c.generation_id)
                for table, column, within, sign in pieces
            ]
        ).subquery()
        # Summed here too: a row per code rather than per code and branch.
        b = branches.c
        rolled = select(b.generation_id, *(func.sum(b[name]).label(name) for name in COUNTS))
        return rolled.group_by(b.generation_id), None

    async def _recent_by_code(
        self, owner_id: UUID, days: DateRange
    ) -> tuple[Select[Any], dict[str, Any] | None]:
        """Rows of (code, counts) of the owner's codes over days not rolled up yet: of
        their hours rolled up so far and the raw events after (as `recent_by`)."""
        _, until = await self._rolled.get()
        params = events_params(owner_id, days, None)
        if until is None or until <= params["start"]:
            return await self._by_code(owner_id, days, rolled_up=False)
        h = analytics_hours.c
        rolled = (
            select(h.generation_id, *summed(analytics_hours))
            .where(
                self._few(h.owner_id == owner_id),
                h.dimension == str(Dimension.TOTAL),
                h.day >= days.first,
                h.day <= days.last,
            )
            .group_by(h.generation_id)
        )
        if until >= params["end"]:
            return rolled, None
        params |= {"start": until, "day_start": start_of(until.date())}
        per_code = per_code_statement(
            self._dialect, (Dimension.TOTAL,), after_earlier=True
        ).subquery()
        raw = select(per_code.c.generation_id, *(per_code.c[name] for name in COUNTS))
        both = union_all(rolled, raw).subquery()
        b = both.c
        summed_up = select(b.generation_id, *(func.sum(b[name]).label(name) for name in COUNTS))
        return summed_up.group_by(b.generation_id), params

    async def labels(self, owner_id: UUID, generation_ids: list[UUID]) -> dict[UUID, CodeLabel]:
        if not generation_ids:
            return {}
        g = generations.c
        rows = await self._read(
            select(g.id, g.public_code, g.text, g.deleted_at).where(
                g.owner_id == owner_id, g.id.in_(generation_ids)
            )
        )
        return {
            row.id: CodeLabel(row.public_code, row.text[:120], row.deleted_at is not None)
            for row in rows
        }

    async def usage(self, owner_id: UUID, *, month_start: datetime) -> Usage:
        g = generations.c
        live = g.deleted_at.is_(None)
        row = (
            await self._read(
                select(
                    func.count(),
                    func.coalesce(func.sum(case((g.created_at >= month_start, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((live, 1), else_=0)), 0),
                    func.coalesce(func.sum(g.characters_billed), 0),
                    func.coalesce(
                        func.sum(case((live, func.coalesce(g.audio_bytes, 0)), else_=0)), 0
                    ),
                ).where(g.owner_id == owner_id)
            )
        ).one()
        return Usage(*(int(n) for n in row))


class AnalyticsPart(Part):
    """The analytics feature's share of the unit of work."""

    analytics: AnalyticsRepository
    analytics_rollups: RollUpRepository

    def attach(self, connection: AsyncConnection) -> None:
        rolled = RolledSoFar(connection)
        self.analytics = SqlAnalytics(connection, rolled)
        self.analytics_rollups = SqlRollUps(connection, rolled)
        super().attach(connection)
