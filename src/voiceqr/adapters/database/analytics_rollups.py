"""Writing the analytics roll-ups on SQLAlchemy Core (their tables are in
`analytics_tables.py`, the events counted as `analytics_events.py` says; the dashboards
read them in `analytics.py`).

A day is rolled up once it is complete, per code and per owner, every dimension at once.
A month's rows are made when its last day is rolled up, in the same transaction, and
made again when any of its days is rolled up again; so every month up to the last day
rolled up has them (migration 0013 made those of the months rolled up before it).

The complete hours of the days not rolled up yet are rolled up per code and per owner,
every dimension, at each pass of the job (`roll_up_hours`): the dashboards read the raw
events of the hour under way only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, delete, func, insert, literal, select, true, union_all, update
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.analytics_events import (
    event_counts,
    owner_of_event,
    per_code_statement,
    start_of,
    value_of,
)
from voiceqr.adapters.database.analytics_tables import (
    COUNTS,
    MONTHLY,
    WEEK_HOURS,
    analytics_account_daily,
    analytics_account_hours,
    analytics_daily,
    analytics_hours,
    analytics_state,
    as_date,
    summed,
    week_hour,
)
from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.shared import Repository, upsert
from voiceqr.domain.analytics.rollups import month_end, months_to_roll_up
from voiceqr.domain.analytics.tallies import Dimension

_ROLLED_THROUGH = "rolled_through"
_HOURS_ROLLED_UNTIL = "hours_rolled_until"


class RolledSoFar:
    """How far the roll-ups reach: the last day rolled up and the end of the last hour
    rolled up, read once per unit of work. A dashboard asks before each of its panels
    (a round trip each), and they change only by a roll-up, which keeps them up to date
    here: the reads and the roll-ups of one unit of work share this."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection
        self._state: tuple[date | None, datetime | None] | None = None

    async def get(self) -> tuple[date | None, datetime | None]:
        """The last day rolled up, and the end of the last hour rolled up."""
        if self._state is None:
            s = analytics_state.c
            rows = await self._db.execute(select(s.name, s.day, s.until))
            found = {row.name: row for row in rows}
            through, hours = found.get(_ROLLED_THROUGH), found.get(_HOURS_ROLLED_UNTIL)
            self._state = (
                None if through is None else as_date(through.day),
                None if hours is None else hours.until,
            )
        return self._state

    def set(self, through: date | None, hours_until: datetime | None) -> None:
        self._state = (through, hours_until)


class SqlRollUps(Repository):
    def __init__(self, connection: AsyncConnection, rolled: RolledSoFar) -> None:
        super().__init__(connection)
        self._rolled = rolled

    @property
    def _dialect(self) -> str:
        return self._db.dialect.name

    async def rolled_through(self) -> date | None:
        return (await self._rolled.get())[0]

    async def first_event_day(self) -> date | None:
        found = await self._db.execute(select(func.min(playback_events.c.occurred_at)))
        first: datetime | None = found.scalar_one_or_none()
        if isinstance(first, str):  # SQLite's MIN hands back the stored text
            first = datetime.fromisoformat(first).replace(tzinfo=UTC)
        return None if first is None else first.astimezone(UTC).date()

    async def roll_up(self, day: date) -> None:
        through = await self.rolled_through()
        await self._roll_up_day(day)
        for month in months_to_roll_up(through, day):
            await self._roll_up_month(month)
        if through is None or through < day:
            statement = upsert(self._db, analytics_state).values(name=_ROLLED_THROUGH, day=day)
            await self._db.execute(
                statement.on_conflict_do_update(
                    index_elements=[analytics_state.c.name], set_={"day": day}
                )
            )
            self._rolled.set(day, (await self._rolled.get())[1])

    async def _roll_up_day(self, day: date) -> None:
        await self._db.execute(delete(analytics_daily).where(analytics_daily.c.day == day))
        await self._db.execute(
            delete(analytics_account_daily).where(analytics_account_daily.c.day == day)
        )
        c = playback_events.c
        columns = ["generation_id", "owner_id", "day", "dimension", "value"]
        columns += ["scans", "listens", "visitors", "bots_left_out"]
        # One statement for every dimension: each reads the day's events by time.
        per_dimension = []
        for dimension in Dimension:
            value = value_of(dimension, self._dialect).label("value")
            per_dimension.append(
                select(
                    c.generation_id,
                    generations.c.owner_id,
                    literal(day, Date).label("day"),
                    literal(str(dimension)).label("dimension"),
                    value,
                    *event_counts(),
                )
                .join(generations, owner_of_event())
                .where(
                    c.occurred_at >= start_of(day),
                    c.occurred_at < start_of(day + timedelta(days=1)),
                )
                .group_by(c.generation_id, generations.c.owner_id, value)
            )
        await self._db.execute(
            insert(analytics_daily).from_select(columns, union_all(*per_dimension))
        )
        d = analytics_daily.c
        per_owner = (
            select(d.owner_id, d.day, d.dimension, d.value, *summed(analytics_daily))
            .where(d.day == day)
            .group_by(d.owner_id, d.day, d.dimension, d.value)
        )
        await self._db.execute(
            insert(analytics_account_daily).from_select(
                [name for name in columns if name != "generation_id"], per_owner
            )
        )

    async def _roll_up_month(self, month: date) -> None:
        """Replace the month's rows with the sums of its days' rows, and of its hours
        per UTC weekday and hour (`WEEK_HOURS`)."""
        for daily, monthly in MONTHLY.items():
            await self._db.execute(delete(monthly).where(monthly.c.month == month))
            d = daily.c
            owners = [d[name] for name in ("generation_id", "owner_id") if name in d]
            slot = week_hour(d.day, d.value, self._dialect)
            for dimension, value, only in (
                (d.dimension, d.value, None),
                (literal(WEEK_HOURS), slot, d.dimension == str(Dimension.HOUR)),
            ):
                keys = [*owners, dimension.label("dimension"), value.label("value")]
                sums = (
                    select(*keys, literal(month, Date).label("month"), *summed(daily))
                    .where(d.day >= month, d.day <= month_end(month))
                    .group_by(*keys)
                )
                if only is not None:
                    sums = sums.where(only)
                names = [column.name for column in sums.selected_columns]
                await self._db.execute(insert(monthly).from_select(names, sums))

    async def roll_up_hours(self, until: datetime) -> None:
        through, rolled_until = await self._rolled.get()
        if through is not None:
            for table in (analytics_hours, analytics_account_hours):
                await self._db.execute(delete(table).where(table.c.day <= through))
            start = start_of(through + timedelta(days=1))
        else:
            first = await self.first_event_day()
            if first is None:
                return
            start = start_of(first)
        if rolled_until is not None:
            start = max(start, rolled_until)
        if start >= until or not await self._claim_hours(rolled_until, until):
            return
        # Only the hours not rolled up yet are read (a quarter of an hour of events or
        # so each run), and added to the rows of their day; a visitor who scanned the
        # code earlier that day (with the same value) is not counted again.
        per_code = per_code_statement(
            self._dialect, tuple(Dimension), every_owner=True, after_earlier=True
        ).subquery()
        p = per_code.c
        params = {"start": start, "end": until, "day_start": start_of(start.date())}
        keys = {
            analytics_hours: (p.generation_id, p.owner_id),
            analytics_account_hours: (p.owner_id,),
        }
        for table, owners in keys.items():
            group = [*owners, p.day, p.dimension, p.value]
            sums = (
                select(*group, *(func.sum(p[name]).label(name) for name in COUNTS))
                # SQLite reads ON CONFLICT after a SELECT without WHERE as a join's ON.
                .where(true())
                .group_by(*group)
            )
            statement = upsert(self._db, table).from_select(
                [column.name for column in sums.selected_columns], sums
            )
            added = {name: table.c[name] + statement.excluded[name] for name in COUNTS}
            primary_key = [column.name for column in table.primary_key.columns]
            await self._db.execute(
                statement.on_conflict_do_update(index_elements=primary_key, set_=added),
                params,
            )
        self._rolled.set(through, until)

    async def _claim_hours(self, rolled_until: datetime | None, until: datetime) -> bool:
        """Move the end of the hours rolled up from `rolled_until` to `until`, if no
        other run moved it meanwhile: the hours are added to their day's rows, and two
        runs at once would add them twice (the second finds nothing to claim)."""
        s = analytics_state.c
        if rolled_until is None:
            claim: Any = (
                upsert(self._db, analytics_state)
                .values(name=_HOURS_ROLLED_UNTIL, day=until.date(), until=until)
                .on_conflict_do_nothing(index_elements=[s.name])
            )
        else:
            claim = (
                update(analytics_state)
                .where(s.name == _HOURS_ROLLED_UNTIL, s.until == rolled_until)
                .values(day=until.date(), until=until)
            )
        return int((await self._db.execute(claim)).rowcount) == 1

    async def delete_events_before(self, moment: datetime) -> int:
        result = await self._db.execute(
            delete(playback_events).where(playback_events.c.occurred_at < moment)
        )
        return int(result.rowcount)
