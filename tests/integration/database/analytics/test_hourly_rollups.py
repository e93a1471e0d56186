"""Today's hours rolled up in the database, on SQLite and PostgreSQL: the dashboards read
the hours rolled up so far (every dimension, per owner and per code) and the raw events
after them, and say what the raw events say, unique visitors included, however far the
hours are rolled up, after rolling up again, and once the day is rolled up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from tests.integration.database.rows import add_generations, add_user, make_generation
from voiceqr.adapters.database.analytics_tables import (
    analytics_account_hours,
    analytics_hours,
    analytics_state,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.analytics.ports import TallyQuery
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import Dimension, Tally
from voiceqr.domain.playback.events import (
    Device,
    PlaybackEvent,
    PlaybackEventKind,
    Source,
    StoredEvent,
)
from voiceqr.domain.shared.ids import uuid7

YESTERDAY, TODAY = date(2026, 3, 9), date(2026, 3, 10)
MIDNIGHT = datetime(2026, 3, 10, tzinfo=UTC)


def _event(generation_id: object, at: datetime, n: int) -> StoredEvent:
    event = PlaybackEvent(
        id=uuid7(),
        generation_id=generation_id,  # type: ignore[arg-type]
        kind=PlaybackEventKind.LISTEN if n % 3 == 0 else PlaybackEventKind.SCAN,
        occurred_at=at,
        visitor=f"v{n % 4}",  # each comes back, in other hours and with other values
        country="FR" if n % 2 else "DE",
        source=Source.QR,
        owner_view=n % 11 == 0,
    )
    return StoredEvent(event, Device(bot=n % 7 == 0), new_visit=n % 5 != 0)


async def _hours_kept(uows: SqlUnitOfWorkFactory) -> set[tuple[date, str]]:
    """The (day, hour) of the hours rolled up, of every owner."""
    t = analytics_account_hours.c
    async with uows.engine.connect() as connection:
        hours = select(t.day, t.value).where(t.dimension == str(Dimension.HOUR))
        rows = await connection.execute(hours.distinct())
        return {
            (day if isinstance(day, date) else date.fromisoformat(day), hour) for day, hour in rows
        }


def _sorted(tallies: list[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.day or date.min, t.value))


def _by_dimension(found: dict[Dimension, list[Tally]]) -> dict[Dimension, list[Tally]]:
    return {dimension: _sorted(tallies) for dimension, tallies in found.items()}


async def _recent_reads(
    uows: SqlUnitOfWorkFactory, queries: list[TallyQuery], owner_id: UUID
) -> tuple[list[object], list[object]]:
    """What the raw events say of the queries (every dimension, and the ranking of the
    owner's codes), and what the reads of the days not rolled up yet say."""
    days = queries[0].days
    async with uows() as uow:
        a = uow.analytics
        raw: list[object] = [_by_dimension(await a.raw_by(q, list(Dimension))) for q in queries]
        recent: list[object] = [
            _by_dimension(await a.recent_by(q, list(Dimension))) for q in queries
        ]
        raw += [_sorted(await a.raw(q)) for q in queries if q.dimension is Dimension.HOUR]
        recent += [
            _sorted(await a.recent_hours(q)) for q in queries if q.dimension is Dimension.HOUR
        ]
        for by in ("scans", "listens"):
            codes = await a.by_code(owner_id, days, rolled_up=False)
            ranked = sorted(
                (t for t in codes if getattr(t.counts, by) > 0),
                key=lambda t: (-getattr(t.counts, by), -t.counts.scans, str(t.generation_id)),
            )
            raw.append(ranked[:2])
            recent.append(await a.top_by_code(owner_id, None, days, by=by, limit=2))
    return raw, recent


async def test_the_charts_read_todays_rolled_up_hours_and_the_raw_events_after_them(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner, other = await add_user(uows), await add_user(uows)
    lobby, flyer = make_generation(owner.id), make_generation(owner.id)
    theirs = make_generation(other.id)
    await add_generations(uows, lobby, flyer, theirs)
    codes = [lobby.id, flyer.id, theirs.id]
    # Yesterday and today up to 15:40, every 13 minutes, over the three codes.
    events = [
        _event(codes[n % 3], MIDNIGHT - timedelta(hours=6) + timedelta(minutes=13 * n), n)
        for n in range(100)
    ]
    async with uows() as uow:
        await uow.playback_events.add_many(events)
        await uow.analytics_rollups.roll_up(YESTERDAY)
        await uow.commit()
    today = DateRange(TODAY, TODAY)
    queries = [
        TallyQuery(owner.id, Dimension.HOUR, today, per_day=True),
        TallyQuery(owner.id, Dimension.HOUR, today, lobby.id, per_day=True),
        TallyQuery(other.id, Dimension.HOUR, today, per_day=True),
        TallyQuery(owner.id, Dimension.TOTAL, today),
        TallyQuery(owner.id, Dimension.TOTAL, today, flyer.id),
    ]
    raw, before = await _recent_reads(uows, queries, owner.id)
    assert before == raw
    assert any(t.counts.visitors for t in raw[3][Dimension.COUNTRY])  # type: ignore[index]

    # Hours rolled up to 05:00, again to 05:00, then to 12:00, to 15:00 (the events of
    # the hour under way only), and to 16:00 (none): the same answers.
    for hour in (5, 5, 12, 15, 16):
        async with uows() as uow:
            await uow.analytics_rollups.roll_up_hours(MIDNIGHT + timedelta(hours=hour))
            await uow.commit()
        assert (await _recent_reads(uows, queries, owner.id))[1] == raw
    assert await _hours_kept(uows) == {(TODAY, f"{hour:02d}") for hour in range(16)}

    # Today rolled up: its hours are forgotten at the next pass.
    async with uows() as uow:
        await uow.analytics_rollups.roll_up(TODAY)
        await uow.analytics_rollups.roll_up_hours(MIDNIGHT + timedelta(days=1, hours=1))
        await uow.commit()
    async with uows() as uow:
        hours = [q for q in queries if q.dimension is Dimension.HOUR]
        assert [_sorted(await uow.analytics.rolled_up(q)) for q in hours] == raw[5:8]
    assert await _hours_kept(uows) == set()


_VISIT = st.tuples(
    st.integers(0, 2),  # the owner's first or second code, or another owner's
    st.integers(0, 24 * 60 - 1),  # the minute of today
    st.sampled_from(["a", "b"]),
    st.sampled_from(["FR", "DE"]),
    st.booleans(),  # a listen
    st.integers(0, 7),  # a repeat within the visit, a bot, the owner's view, or a person
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A visitor back in a later slice of hours, with the same value and another.
@example(visits=[(0, 60, "a", "FR", False, 5), (0, 300, "a", "FR", False, 5)], splits=[2, 10])
@example(visits=[(1, 60, "b", "FR", False, 5), (1, 300, "b", "DE", False, 5)], splits=[3])
@given(
    visits=st.lists(_VISIT, min_size=1, max_size=30),
    splits=st.lists(st.integers(1, 24), min_size=1, max_size=3),
)
async def test_any_split_of_the_day_into_hours_rolled_up_and_raw_says_what_the_raw_events_say(
    uows: SqlUnitOfWorkFactory,
    visits: list[tuple[int, int, str, str, bool, int]],
    splits: list[int],
) -> None:
    owner, other = await add_user(uows), await add_user(uows)
    generations = [make_generation(owner.id), make_generation(owner.id), make_generation(other.id)]
    await add_generations(uows, *generations)
    events = []
    for code, minute, visitor, country, listen, kind in visits:
        event = PlaybackEvent(
            id=uuid7(),
            generation_id=generations[code].id,
            kind=PlaybackEventKind.LISTEN if listen else PlaybackEventKind.SCAN,
            occurred_at=MIDNIGHT + timedelta(minutes=minute),
            visitor=visitor,
            country=country,
            source=Source.QR,
            owner_view=kind == 2,
        )
        events.append(StoredEvent(event, Device(bot=kind == 1), new_visit=kind != 0))
    async with uows() as uow:
        await uow.playback_events.add_many(events)
        await uow.commit()
    # Each example rolls the hours up from the start of the day (earlier examples'
    # events are other owners').
    async with uows.engine.begin() as connection:
        for table in (analytics_hours, analytics_account_hours):
            await connection.execute(delete(table))
        await connection.execute(delete(analytics_state))
    today = DateRange(TODAY, TODAY)
    queries = [
        TallyQuery(owner.id, Dimension.HOUR, today, per_day=True),
        TallyQuery(owner.id, Dimension.HOUR, today, generations[0].id, per_day=True),
        TallyQuery(owner.id, Dimension.TOTAL, today),
        TallyQuery(owner.id, Dimension.TOTAL, today, generations[1].id),
    ]
    raw, _ = await _recent_reads(uows, queries, owner.id)
    # Rolled up in one pass or several, as the job runs through the day.
    for split in sorted(splits):
        async with uows() as uow:
            await uow.analytics_rollups.roll_up_hours(MIDNIGHT + timedelta(hours=split))
            await uow.commit()
        assert (await _recent_reads(uows, queries, owner.id))[1] == raw
