"""Today's hours rolled up in the database, on SQLite and PostgreSQL: the charts read the
hours rolled up so far and the raw events after them, and say what the raw events say,
however far the hours are rolled up, after rolling up again, and once the day is rolled
up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from tests.integration.database.rows import add_generations, add_user, make_generation
from voiceqr.adapters.database.analytics_tables import analytics_account_hours
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
        visitor=f"v{n % 4}",
        country="FR",
        source=Source.QR,
        owner_view=n % 11 == 0,
    )
    return StoredEvent(event, Device(bot=n % 7 == 0), new_visit=n % 5 != 0)


async def _hours_kept(uows: SqlUnitOfWorkFactory) -> set[tuple[date, str]]:
    """The (day, hour) of the hours rolled up, of every owner."""
    t = analytics_account_hours.c
    async with uows.engine.connect() as connection:
        rows = await connection.execute(select(t.day, t.value).distinct())
        return {
            (day if isinstance(day, date) else date.fromisoformat(day), hour) for day, hour in rows
        }


def _sorted(tallies: list[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.day or date.min, t.value))


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
    ]
    async with uows() as uow:
        raw = [_sorted(await uow.analytics.raw(query)) for query in queries]
        before = [_sorted(await uow.analytics.recent_hours(query)) for query in queries]
    assert before == raw

    # Hours rolled up to 05:00, again to 05:00, then to 12:00: the same answers.
    for hour in (5, 5, 12):
        async with uows() as uow:
            await uow.analytics_rollups.roll_up_hours(MIDNIGHT + timedelta(hours=hour))
            await uow.commit()
        async with uows() as uow:
            assert [_sorted(await uow.analytics.recent_hours(q)) for q in queries] == raw
    assert await _hours_kept(uows) == {(TODAY, f"{hour:02d}") for hour in range(12)}

    # Today rolled up: its hours are forgotten at the next pass.
    async with uows() as uow:
        await uow.analytics_rollups.roll_up(TODAY)
        await uow.analytics_rollups.roll_up_hours(MIDNIGHT + timedelta(days=1, hours=1))
        await uow.commit()
    async with uows() as uow:
        assert [_sorted(await uow.analytics.rolled_up(q)) for q in queries] == raw
    assert await _hours_kept(uows) == set()
