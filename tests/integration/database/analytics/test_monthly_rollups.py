"""Monthly roll-ups in the database, on SQLite and PostgreSQL: a range summed over its
days (and the heatmap's weekdays and hours) reads the months it covers mostly from them
(less their days outside it) and its edges day by day, and says exactly what the raw
events say, after a day is rolled up again, after an interrupted pass, and after old
raw events are deleted."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import func, select

from tests.integration.database.rows import add_generations, add_user, make_generation
from voiceqr.adapters.database.analytics_tables import analytics_account_monthly, analytics_monthly
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.analytics.ports import TallyQuery
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import CodeTally, Counts, Dimension, Tally
from voiceqr.domain.playback.events import (
    Device,
    PlaybackEvent,
    PlaybackEventKind,
    Source,
    StoredEvent,
)
from voiceqr.domain.shared.ids import uuid7

# From the middle of January to the middle of April 2026: two whole months inside.
FIRST = date(2026, 1, 20)
LAST = date(2026, 4, 12)
DEVICES = [
    Device(device="mobile", os="iOS 17", browser="Mobile Safari 17"),
    Device(device="desktop", os="Windows 10", browser="Edge 120"),
    Device(bot=True, browser="Slackbot"),
]


def _events(codes: list[UUID], seed: int, count: int = 400) -> list[StoredEvent]:
    """Hits spread over the days, at any hour, with repeat visits, bots and the owner's
    own views among them."""
    rng = random.Random(seed)
    span = (LAST - FIRST).days + 1
    found = []
    for _ in range(count):
        at = datetime.combine(FIRST, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(span * 86400)
        )
        event = PlaybackEvent(
            id=uuid7(),
            generation_id=rng.choice(codes),
            kind=rng.choice(
                [PlaybackEventKind.SCAN, PlaybackEventKind.SCAN, PlaybackEventKind.LISTEN]
            ),
            occurred_at=at,
            visitor=f"v{rng.randrange(8)}",
            country=rng.choice(["FR", "DE", ""]),
            source=rng.choice(list(Source)),
            placement=rng.choice(["", "lobby"]),
            referrer_host=rng.choice(["", "news.example"]),
            language=rng.choice(["fr", "de"]),
            owner_view=rng.random() < 0.05,
        )
        found.append(StoredEvent(event, rng.choice(DEVICES), rng.random() < 0.8))
    return found


async def _roll_up(uows: SqlUnitOfWorkFactory, days: DateRange) -> None:
    for day in days.each_day():
        async with uows() as uow:
            await uow.analytics_rollups.roll_up(day)
            await uow.commit()


def _sorted(tallies: list[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.value, t.day or date.min))


def _by_code(tallies: list[CodeTally]) -> list[CodeTally]:
    return sorted(tallies, key=lambda t: str(t.generation_id))


def _ranked(tallies: list[CodeTally], by: str, limit: int) -> list[CodeTally]:
    """The codes with most `by`, then most scans, then by id; none without `by`."""
    found = [t for t in tallies if getattr(t.counts, by) > 0]
    found.sort(key=lambda t: (-getattr(t.counts, by), -t.counts.scans, str(t.generation_id)))
    return found[:limit]


def _week(hours: list[Tally]) -> list[tuple[int, int, Counts]]:
    """Tallies of UTC hours of days summed per weekday and hour."""
    found: dict[tuple[int, int], Counts] = {}
    for tally in hours:
        assert tally.day is not None
        key = (tally.day.weekday(), int(tally.value))
        found[key] = found.get(key, Counts()) + tally.counts
    return sorted((weekday, hour, counts) for (weekday, hour), counts in found.items())


def _halves(hours: list[Tally], cutoff: int) -> list[Tally]:
    """Tallies of UTC hours summed per day before and after the hour `cutoff` (visitors
    are not counted per half)."""
    found: dict[tuple[str, date], Counts] = {}
    for tally in hours:
        assert tally.day is not None
        key = ("before" if int(tally.value) < cutoff else "after", tally.day)
        counts = Counts(tally.counts.scans, tally.counts.listens, 0, tally.counts.bots_left_out)
        found[key] = found.get(key, Counts()) + counts
    return _sorted([Tally(half, c, day) for (half, day), c in found.items() if not c.empty])


def _ranges(seed: int) -> list[DateRange]:
    """Whole months, ranges cut anywhere, single days, and the whole span."""
    rng = random.Random(seed)
    span = (LAST - FIRST).days
    found = [
        DateRange(FIRST, LAST),
        DateRange(date(2026, 2, 1), date(2026, 2, 28)),
        DateRange(date(2026, 2, 1), date(2026, 3, 31)),
        DateRange(date(2026, 1, 31), date(2026, 3, 1)),
        DateRange(date(2026, 2, 28), date(2026, 3, 1)),
        DateRange(date(2025, 12, 1), date(2026, 12, 31)),  # beyond the events both sides
        # Most of February and of March: each month less its days outside the range.
        DateRange(date(2026, 2, 10), date(2026, 3, 25)),
        DateRange(date(2026, 1, 10), date(2026, 3, 20)),  # January less days before events
    ]
    for _ in range(6):
        a, b = sorted(rng.randrange(span + 1) for _ in range(2))
        found.append(DateRange(FIRST + timedelta(days=a), FIRST + timedelta(days=b)))
    return found


async def _assert_rollups_say_what_raw_events_say(
    uows: SqlUnitOfWorkFactory, owner: UUID, codes: list[UUID], ranges: list[DateRange]
) -> None:
    async with uows() as uow:
        for days in ranges:
            for code in (None, codes[0]):
                query = TallyQuery(owner, Dimension.TOTAL, days, code)
                rolled = await uow.analytics.rolled_up_by(query, list(Dimension))
                raw = await uow.analytics.raw_by(query, list(Dimension))
                assert {d: _sorted(t) for d, t in rolled.items()} == {
                    d: _sorted(t) for d, t in raw.items()
                }, (days, code)
                for dimension in (Dimension.TOTAL, Dimension.COUNTRY):
                    one = TallyQuery(owner, dimension, days, code)
                    assert _sorted(await uow.analytics.rolled_up(one)) == _sorted(raw[dimension]), (
                        days,
                        code,
                        dimension,
                    )
                hours = TallyQuery(owner, Dimension.HOUR, days, code, per_day=True)
                raw_hours = await uow.analytics.raw(hours)
                assert sorted(await uow.analytics.rolled_up_week(hours)) == _week(raw_hours), (
                    days,
                    code,
                )
                for cutoff in (0, 5, 12, 13, 23, 24):
                    halves = await uow.analytics.rolled_up_halves(hours, cutoff)
                    assert _sorted(halves) == _halves(raw_hours, cutoff), (days, code, cutoff)
            raw_codes = await uow.analytics.by_code(owner, days, rolled_up=False)
            assert _by_code(await uow.analytics.by_code(owner, days, rolled_up=True)) == _by_code(
                raw_codes
            ), days
            # The top codes, ranked in the database: of the roll-ups alone, and of the
            # roll-ups up to a day and the raw events after it.
            middle = days.first + timedelta(days=days.days // 2)
            for rolled, raw in (
                (days, None),
                (DateRange(days.first, middle), DateRange(middle + timedelta(days=1), days.last))
                if middle < days.last
                else (None, days),
            ):
                for by in ("scans", "listens"):
                    top = await uow.analytics.top_by_code(owner, rolled, raw, by=by, limit=2)
                    assert top == _ranked(raw_codes, by, 2), (days, rolled, by)


async def _months_kept(uows: SqlUnitOfWorkFactory) -> tuple[set[date], set[date]]:
    """The months in the monthly roll-ups, per code and per owner."""
    found = []
    async with uows.engine.connect() as connection:
        for table in (analytics_monthly, analytics_account_monthly):
            months = await connection.scalars(select(func.distinct(table.c.month)))
            found.append({m if isinstance(m, date) else date.fromisoformat(m) for m in months})
    return found[0], found[1]


async def _owner_with_events(uows: SqlUnitOfWorkFactory, seed: int) -> tuple[UUID, list[UUID]]:
    owner, other = await add_user(uows), await add_user(uows)
    mine = [make_generation(owner.id) for _ in range(3)]
    theirs = make_generation(other.id)
    await add_generations(uows, *mine, theirs)
    codes = [g.id for g in mine]
    async with uows() as uow:
        await uow.playback_events.add_many(_events([*codes, theirs.id], seed))
        await uow.commit()
    return owner.id, codes


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_long_range_reads_whole_months_and_says_what_the_raw_events_say(
    uows: SqlUnitOfWorkFactory, seed: int
) -> None:
    owner, codes = await _owner_with_events(uows, seed)
    await _roll_up(uows, DateRange(FIRST, LAST))

    # January, February and March are complete; April is not.
    assert await _months_kept(uows) == ({date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)},) * 2
    await _assert_rollups_say_what_raw_events_say(uows, owner, codes, _ranges(seed))


async def test_a_day_rolled_up_again_makes_its_month_again(uows: SqlUnitOfWorkFactory) -> None:
    owner, codes = await _owner_with_events(uows, 3)
    await _roll_up(uows, DateRange(FIRST, LAST))
    late = _events(codes, 4, count=30)
    # Late events, all on one day of a complete month.
    moved = [
        StoredEvent(
            PlaybackEvent(
                id=uuid7(),
                generation_id=s.event.generation_id,
                kind=s.event.kind,
                occurred_at=datetime(2026, 2, 14, s.event.occurred_at.hour, tzinfo=UTC),
                visitor=s.event.visitor,
                country=s.event.country,
                source=s.event.source,
            ),
            s.device,
            s.new_visit,
        )
        for s in late
    ]
    async with uows() as uow:
        await uow.playback_events.add_many(moved)
        await uow.commit()

    await _roll_up(uows, DateRange(date(2026, 2, 14), date(2026, 2, 14)))

    async with uows() as uow:
        assert await uow.analytics.rolled_through() == LAST
    await _assert_rollups_say_what_raw_events_say(
        uows, owner, codes, [DateRange(FIRST, LAST), DateRange(date(2026, 2, 1), date(2026, 2, 28))]
    )


async def test_an_interrupted_pass_leaves_no_month_half_made(uows: SqlUnitOfWorkFactory) -> None:
    """The month is made in the transaction of its last day: a pass stopped there leaves
    neither, and the next pass makes both."""
    owner, codes = await _owner_with_events(uows, 5)
    await _roll_up(uows, DateRange(FIRST, date(2026, 2, 27)))
    async with uows() as uow:  # stopped before it commits
        await uow.analytics_rollups.roll_up(date(2026, 2, 28))
    assert await _months_kept(uows) == ({date(2026, 1, 1)},) * 2

    await _roll_up(uows, DateRange(date(2026, 2, 28), LAST))

    assert await _months_kept(uows) == ({date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)},) * 2
    await _assert_rollups_say_what_raw_events_say(uows, owner, codes, _ranges(5))


async def test_deleting_old_raw_events_keeps_the_monthly_rollups(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner, _ = await _owner_with_events(uows, 6)
    await _roll_up(uows, DateRange(FIRST, LAST))
    days = DateRange(FIRST, LAST)
    async with uows() as uow:
        query = TallyQuery(owner, Dimension.TOTAL, days)
        before = await uow.analytics.rolled_up_by(query, list(Dimension))
        ranking = _by_code(await uow.analytics.by_code(owner, days, rolled_up=True))
        await uow.analytics_rollups.delete_events_before(datetime(2026, 4, 1, tzinfo=UTC))
        await uow.commit()

    async with uows() as uow:
        assert await uow.analytics.rolled_up_by(query, list(Dimension)) == before
        assert _by_code(await uow.analytics.by_code(owner, days, rolled_up=True)) == ranking
