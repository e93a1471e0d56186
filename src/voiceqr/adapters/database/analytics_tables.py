"""The analytics roll-up tables (written by `analytics_rollups.py`, read by `analytics.py`),
and the few expressions both use on them.

Two roll-up tables of one shape, (day, dimension, value) -> counts:

- `analytics_daily`, per code: one code's dashboard, and the ranking of codes.
- `analytics_account_daily`, per owner: the account's dashboard. An account of 1,000
  codes has about as many per-code rows as raw events (each code has a few hits a day),
  so summing them would be no faster than the events; per owner a year is a few
  thousand rows per dimension.

Each has a monthly twin of the same shape, (month, dimension, value) -> counts, holding
the sum of a complete UTC month's days: `analytics_monthly` and
`analytics_account_monthly`.

And `analytics_hours` (per code) and `analytics_account_hours` (per owner), of the same
shape as the daily ones, hold the days not rolled up yet as far as their complete hours
go, every dimension: the dashboards read today there and only the raw events of the
hour under way (a busy account's today is tens of thousands of events). A visitor counts
in the hour of their first scan of the day (of the code, with that value), so an hour's
visitors add to the earlier hours' as a day's unique visitors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    cast,
    func,
)

from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.shared import belongs_to, metadata

COUNTS = ("scans", "listens", "visitors", "bots_left_out")
# What the ranking of codes reads, after the owner, the dimension and the day or month.
RANKED = ("generation_id", *COUNTS)


def _tallies(name: str, period: str, *, per_code: bool) -> Table:
    """(code or owner, dimension, day or month, value) -> counts; per code it also keeps
    the owner, and an index that ranks an owner's codes from the index alone."""
    keys = [belongs_to("generation_id", "generations", nullable=False)] if per_code else []
    return Table(
        name,
        metadata,
        *keys,
        belongs_to("owner_id", "users", nullable=False),
        Column(period, Date, nullable=False),  # a month is its first day
        Column("dimension", String(10), nullable=False),
        Column("value", String(255), nullable=False),
        *(Column(count, Integer, nullable=False, server_default="0") for count in COUNTS),
        PrimaryKeyConstraint(
            "generation_id" if per_code else "owner_id", "dimension", period, "value"
        ),
        *(
            [Index(f"ix_{name}_ranking", "owner_id", "dimension", period, *RANKED)]
            if per_code
            else []
        ),
        # Rolling a day up (again), or making a month's rows (again), replaces them.
        Index(f"ix_{name}_{period}", period),
    )


analytics_daily = _tallies("analytics_daily", "day", per_code=True)
analytics_account_daily = _tallies("analytics_account_daily", "day", per_code=False)
analytics_monthly = _tallies("analytics_monthly", "month", per_code=True)
analytics_account_monthly = _tallies("analytics_account_monthly", "month", per_code=False)
analytics_hours = _tallies("analytics_hours", "day", per_code=True)
analytics_account_hours = _tallies("analytics_account_hours", "day", per_code=False)

# The monthly tables also keep each month's hours summed per UTC weekday and hour, for
# the heatmap: dimension "week_hour", value "0" (Monday) + "00" to "6" + "23".
WEEK_HOURS = "week_hour"
MONTHLY = {analytics_daily: analytics_monthly, analytics_account_daily: analytics_account_monthly}

# The last UTC day rolled up (`name` = "rolled_through"), and the end of the last hour
# rolled up into `analytics_account_hours` (`name` = "hours_rolled_until": `until`, and
# its day in `day`).
analytics_state = Table(
    "analytics_state",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("day", Date, nullable=False),
    Column("until", DateTimeUTC(timezone=True), nullable=True),
)

# A day's raw events are read by time: to roll them up, to read today's, and to delete
# those past the retention period; and one code's of today by time and code, from the
# index before the table (a busy day's events of one code among tens of thousands).
# Not (code, time): SQLite would walk it code by code for every event of a day.
Index(
    "ix_playback_events_occurred_at_code",
    playback_events.c.occurred_at,
    playback_events.c.generation_id,
)


def summed(table: Table, sign: int = 1) -> list[ColumnElement[Any]]:
    """The counts of the rows summed; with `sign` -1, subtracted (the days of a month
    read from the monthly roll-ups that are outside the range asked)."""
    if sign < 0:
        return [(-func.sum(table.c[name])).label(name) for name in COUNTS]
    return [func.sum(table.c[name]).label(name) for name in COUNTS]


def week_hour(
    day: ColumnElement[Any], hour: ColumnElement[Any], dialect: str
) -> ColumnElement[Any]:
    """A UTC hour of a day as its hour of the week: the weekday (0 Monday) and the hour,
    "0" + "00" to "6" + "23"."""
    if dialect == "sqlite":  # %w: 0 is Sunday
        weekday = (cast(func.strftime("%w", day), Integer) + 6) % 7
    else:
        weekday = cast(func.extract("isodow", day), Integer) - 1
    return cast(weekday, String) + hour


def as_date(value: date | str) -> date:
    """A day read back: SQLite hands back the stored text."""
    return value if isinstance(value, date) else date.fromisoformat(value)
