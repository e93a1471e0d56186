"""Writing the analytics roll-ups on SQLAlchemy Core (their tables are in
`analytics_tables.py`, the events counted as `analytics_events.py` says; the dashboards
read them in `analytics.py`).

A day is rolled up once it is complete, per code and per owner, every dimension at once.
A month's rows are made when its last day is rolled up, in the same transaction, and
made again when any of its days is rolled up again; so every month up to the last day
rolled up has them (migration 0013 made those of the months rolled up before it).

The complete hours of the days not rolled up yet are rolled up per owner at each pass
of the job (`roll_up_hours`), for the charts over time and the heatmap.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, delete, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.analytics_events import (
    day_of,
    event_counts,
    owner_of_event,
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
        hours = analytics_account_hours
        if through is not None:
            await self._db.execute(delete(hours).where(hours.c.day <= through))
            start = start_of(through + timedelta(days=1))
        else:
            first = await self.first_event_day()
            if first is None:
                return
            start = start_of(first)
        if rolled_until is not None:
            start = max(start, rolled_until)
        if start >= until:
            return
        # Only the hours not rolled up yet are read: each run reads a quarter of an
        # hour of events or so, and adds rows for hours that have none yet.
        c = playback_events.c
        day, value = day_of(self._dialect).label("day"), value_of(Dimension.HOUR, self._dialect)
        per_code = (
            select(generations.c.owner_id, day, value.label("value"), *event_counts())
            .join(generations, owner_of_event())
            .where(c.occurred_at >= start, c.occurred_at < until)
            .group_by(generations.c.owner_id, day, value, c.generation_id)
            .subquery()
        )
        p = per_code.c
        await self._db.execute(
            insert(hours).from_select(
                ["owner_id", "day", "dimension", "value", *COUNTS],
                select(
                    p.owner_id,
                    p.day,
                    literal(str(Dimension.HOUR)).label("dimension"),
                    p.value,
                    *(func.sum(p[name]).label(name) for name in COUNTS),
                ).group_by(p.owner_id, p.day, p.value),
            )
        )
        statement = upsert(self._db, analytics_state).values(
            name=_HOURS_ROLLED_UNTIL, day=until.date(), until=until
        )
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=[analytics_state.c.name], set_={"day": until.date(), "until": until}
            )
        )
        self._rolled.set(through, until)

    async def delete_events_before(self, moment: datetime) -> int:
        result = await self._db.execute(
            delete(playback_events).where(playback_events.c.occurred_at < moment)
        )
        return int(result.rowcount)
