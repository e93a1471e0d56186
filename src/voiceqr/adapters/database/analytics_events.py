"""Counting the raw playback events in SQL: each dimension's value of an event, its UTC
day, what it counts for (a visit by a person, a bot left out), and the statement
counting an owner's events of some days by several dimensions at once. Shared by the
roll-up job (`analytics_rollups.py`, a day or the hours since its last run at a time)
and the reads of the days not rolled up yet (today)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Select,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    tuple_,
    union_all,
)

from voiceqr.adapters.database.analytics_tables import COUNTS
from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.playback import playback_events
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import Dimension

_VALUES = {
    Dimension.COUNTRY: "country",
    Dimension.DEVICE: "device",
    Dimension.OS: "os",
    Dimension.BROWSER: "browser",
    Dimension.SOURCE: "source",
    Dimension.PLACEMENT: "placement",
    Dimension.REFERRER: "referrer_host",
    Dimension.LANGUAGE: "language",
}
# What counting reads of an event, besides its dimensions' values.
_COUNTED = ("generation_id", "kind", "occurred_at", "visitor", "new_visit", "bot", "owner_view")
# The raw events' columns (`playback_events.c`), or those of a selection of them with
# the same names (read by attribute, which SQLAlchemy's collections do not type).
Events = Any


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def value_of(
    dimension: Dimension, dialect: str, events: Events = playback_events.c
) -> ColumnElement[Any]:
    """The dimension's value of a raw event."""
    if dimension is Dimension.TOTAL:
        return literal("")
    if dimension is Dimension.HOUR:
        at = events.occurred_at
        if dialect == "sqlite":  # stored as "YYYY-MM-DD HH:MM:SS.ffffff", in UTC
            return func.strftime("%H", at)
        return func.to_char(func.timezone("UTC", at), "HH24")
    return func.substr(events[_VALUES[dimension]], 1, 255)


def day_of(dialect: str, events: Events = playback_events.c) -> ColumnElement[Any]:
    """The UTC day of a raw event."""
    at = events.occurred_at
    if dialect == "sqlite":
        return func.date(at)
    return cast(func.timezone("UTC", at), Date)


def _person(c: Events) -> ColumnElement[bool]:
    """An event that starts a visit, by a person other than the owner."""
    return and_(c.new_visit.is_(True), c.bot.is_(False), c.owner_view.is_(False))


def event_counts(
    events: Events = playback_events.c, first_today: ColumnElement[bool] | None = None
) -> list[ColumnElement[Any]]:
    """Counts of raw events: a scan or listen counts when it starts a visit, by a person
    other than the owner; the bots' scans are counted apart. With `first_today`, a
    visitor counts only where it holds (not seen earlier that day: see
    `per_code_statement`)."""
    c = events
    person = _person(c)
    scan = and_(c.kind == "scan", person)
    visitor = scan if first_today is None else and_(scan, first_today)
    return [
        func.coalesce(func.sum(case((scan, 1), else_=0)), 0).label("scans"),
        func.coalesce(func.sum(case((and_(c.kind == "listen", person), 1), else_=0)), 0).label(
            "listens"
        ),
        func.count(distinct(case((visitor, c.visitor)))).label("visitors"),
        func.coalesce(
            func.sum(case((and_(c.kind == "scan", c.bot.is_(True)), 1), else_=0)), 0
        ).label("bots_left_out"),
    ]


def events_where(*, one_code: bool, dialect: str, every_owner: bool = False) -> list[Any]:
    """The owner's raw events of the days (and of one code), as parameters: `owner_id`,
    `start`, `end` and `generation_id` (see `events_params`); with `every_owner`, every
    owner's (the roll-up of the hours)."""
    c = playback_events.c
    where = [c.occurred_at >= bindparam("start"), c.occurred_at < bindparam("end")]
    if not every_owner:
        where.insert(0, generations.c.owner_id == bindparam("owner_id"))
    if one_code:
        # On the event: the index of (time, code) picks the code's events of the days
        # before reading the table (on the generation, every event of the days is read).
        # Written on SQLite so that no index of the events by code serves it: it would
        # walk a year of a popular code's events to find today's.
        code = c.generation_id if dialect != "sqlite" else func.coalesce(c.generation_id, None)
        where.append(code == bindparam("generation_id"))
    return where


def events_params(owner_id: UUID, days: DateRange, generation_id: UUID | None) -> dict[str, Any]:
    found: dict[str, Any] = {"owner_id": owner_id, "start": start_of(days.first)}
    found["end"] = start_of(days.last + timedelta(days=1))
    return found if generation_id is None else {**found, "generation_id": generation_id}


@functools.lru_cache(maxsize=64)
def per_code_statement(
    dialect: str,
    dimensions: tuple[Dimension, ...],
    *,
    one_code: bool = False,
    every_owner: bool = False,
    after_earlier: bool = False,
) -> Select[Any] | CompoundSelect[Any]:
    """The statement counting raw events by each of the dimensions, per code and UTC
    day: rows of (dimension, value, day, generation_id, owner_id, counts).

    With `after_earlier`, the events from `start` on are counted as the part of their
    day after the events before `start` (rolled up already): a visitor counts only if
    they made no scan of the code with the same value that day before `start` (the
    parameter `day_start` is the start of `start`'s day). So the visitors of the hours
    before and after add up to the day's, each unique per code and day.
    """
    # The events are found once, then counted by each dimension (a CTE read several
    # times is kept, not run again, by both engines): not eight scans of today's hits.
    wanted = [playback_events.c[name] for name in (*_COUNTED, *_VALUES.values())]
    found = (
        select(*wanted, generations.c.owner_id)
        .join(generations, owner_of_event())
        .where(*events_where(one_code=one_code, dialect=dialect, every_owner=every_owner))
        .cte("found")
    )
    c = found.c
    day = day_of(dialect, c).label("day")
    earlier = _earlier_scans(dialect, found) if after_earlier else None
    per_dimension = []
    for dimension in dimensions:
        value = value_of(dimension, dialect, c).label("value")
        first_today = None
        if earlier is not None:
            e = earlier.c
            seen = select(e.generation_id, e.visitor, e.day, value_of(dimension, dialect, e))
            first_today = tuple_(c.generation_id, c.visitor, day, value).not_in(seen)
        per_dimension.append(
            select(
                literal(str(dimension)).label("dimension"),
                value,
                day,
                c.generation_id,
                c.owner_id,
            )
            .add_columns(*event_counts(c, first_today))
            .group_by(value, day, c.generation_id, c.owner_id)
        )
    return union(per_dimension)


def _earlier_scans(dialect: str, found: Any) -> Any:
    """The scans counted (by a person) before `start` on `start`'s day of the visitors
    and codes of the scans found: a handful, by the index of visitors."""
    f = found.c
    scans = (
        select(f.generation_id, f.visitor)
        .where(f.kind == "scan", _person(f))
        .distinct()
        .subquery("visiting")
    )
    e = playback_events.c
    wanted = [e[name] for name in ("generation_id", "visitor", *_VALUES.values())]
    return (
        select(*wanted, e.occurred_at, day_of(dialect).label("day"))
        .join(
            scans,
            and_(e.generation_id == scans.c.generation_id, e.visitor == scans.c.visitor),
        )
        .where(
            e.kind == "scan",
            _person(e),
            e.occurred_at >= bindparam("day_start"),
            e.occurred_at < bindparam("start"),
        )
        .cte("earlier")
    )


@functools.lru_cache(maxsize=64)
def raw_by_statement(
    dialect: str, dimensions: tuple[Dimension, ...], one_code: bool, after_earlier: bool = False
) -> Select[Any]:
    """The statement counting an owner's raw events by each of the dimensions, summed
    over the codes, made once per shape: built and keyed anew on every read, its eight
    grouped selects cost more than reading today's events. With `after_earlier`, as
    the part of their day after `start` (see `per_code_statement`)."""
    # Grouped by code and day first: a visitor is unique per code and per day (see
    # domain.analytics.tallies), as in the roll-ups; then summed over the codes here,
    # in the database (today's hits of 1,000 codes are thousands of rows per dimension).
    per_code = per_code_statement(
        dialect, dimensions, one_code=one_code, after_earlier=after_earlier
    ).subquery()
    keys = [per_code.c.dimension, per_code.c.value, per_code.c.day]
    return select(*keys, *(func.sum(per_code.c[name]).label(name) for name in COUNTS)).group_by(
        *keys
    )


def owner_of_event() -> ColumnElement[bool]:
    """Joins an event to its generation, for the owner. Written so that no index of the
    events by generation can serve it: the events are always found by time (a day, or
    today), and with statistics SQLite would rather walk every event of each of the
    owner's codes (a year of them) and filter them by time."""
    return generations.c.id == func.coalesce(playback_events.c.generation_id, None)


def union(selects: Sequence[Select[Any]]) -> Select[Any] | CompoundSelect[Any]:
    return selects[0] if len(selects) == 1 else union_all(*selects)
