"""Roll-ups of scans and listens in the database, on SQLite and PostgreSQL: a day rolled
up says what its raw events say, again and again, for its owner only."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from tests.integration.database.rows import add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.analytics.ports import TallyQuery
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import Counts, Dimension, Tally
from voiceqr.domain.playback.events import (
    Device,
    PlaybackEvent,
    PlaybackEventKind,
    Source,
    StoredEvent,
)
from voiceqr.domain.shared.ids import uuid7

DAY = date(2026, 3, 9)
PHONE = Device(device="mobile", os="iOS 17", browser="Mobile Safari 17")
DESKTOP = Device(device="desktop", os="Windows 10", browser="Edge 120")
BOT = Device(bot=True, browser="Slackbot")


def _event(
    generation_id: object,
    at: datetime,
    *,
    kind: PlaybackEventKind = PlaybackEventKind.SCAN,
    visitor: str = "v1",
    device: Device = PHONE,
    new_visit: bool = True,
    owner_view: bool = False,
    country: str = "FR",
) -> StoredEvent:
    event = PlaybackEvent(
        id=uuid7(),
        generation_id=generation_id,  # type: ignore[arg-type]
        kind=kind,
        occurred_at=at,
        visitor=visitor,
        country=country,
        source=Source.QR if country == "FR" else Source.LINK,
        placement="lobby" if country == "FR" else "",
        referrer_host="" if country == "FR" else "news.example",
        language="fr" if country == "FR" else "de",
        owner_view=owner_view,
    )
    return StoredEvent(event, device, new_visit)


def _sorted(tallies: list[Tally]) -> list[Tally]:
    return sorted(tallies, key=lambda t: (t.value, t.day or date.min))


async def test_a_rolled_up_day_says_what_its_raw_events_say(uows: SqlUnitOfWorkFactory) -> None:
    owner, other = await add_user(uows), await add_user(uows)
    lobby, flyer = make_generation(owner.id), make_generation(owner.id)
    theirs = make_generation(other.id)
    await add_generations(uows, lobby, flyer, theirs)
    at = datetime(2026, 3, 9, 8, 15, tzinfo=UTC)
    events = [
        _event(lobby.id, at, visitor="a"),
        _event(lobby.id, at + timedelta(minutes=5), visitor="a", new_visit=False),
        _event(lobby.id, at + timedelta(hours=3), visitor="a"),  # a second visit
        _event(lobby.id, at + timedelta(hours=3), kind=PlaybackEventKind.LISTEN, visitor="a"),
        _event(lobby.id, at, visitor="b", device=DESKTOP, country="DE"),
        _event(lobby.id, at, visitor="bot", device=BOT),
        _event(lobby.id, at, visitor="me", owner_view=True),
        _event(flyer.id, at + timedelta(hours=15, minutes=30), visitor="c", country="DE"),
        _event(theirs.id, at, visitor="d"),
        _event(lobby.id, at - timedelta(days=1), visitor="e"),  # the day before
        _event(lobby.id, at + timedelta(days=1), visitor="f"),  # the day after
    ]
    async with uows() as uow:
        await uow.playback_events.add_many(events)
        await uow.commit()

    async with uows() as uow:
        assert await uow.analytics.rolled_through() is None
        assert await uow.analytics_rollups.first_event_day() == date(2026, 3, 8)
    days = DateRange(DAY, DAY)
    raw: dict[tuple[Dimension, bool, object], list[Tally]] = {}
    async with uows() as uow:
        for dimension in Dimension:
            for per_day in (False, True):
                for code in (None, lobby.id):
                    query = TallyQuery(owner.id, dimension, days, code, per_day)
                    raw[dimension, per_day, code] = _sorted(await uow.analytics.raw(query))
    for _ in range(2):  # rolling up again replaces the day
        async with uows() as uow:
            await uow.analytics_rollups.roll_up(DAY)
            await uow.commit()

    async with uows() as uow:
        assert await uow.analytics.rolled_through() == DAY
        for (dimension, per_day, code), expected in raw.items():
            query = TallyQuery(owner.id, dimension, days, code, per_day)
            assert _sorted(await uow.analytics.rolled_up(query)) == expected, (dimension, code)
        total = await uow.analytics.rolled_up(TallyQuery(owner.id, Dimension.TOTAL, days))
        hours = await uow.analytics.rolled_up(
            TallyQuery(owner.id, Dimension.HOUR, days, per_day=True)
        )
        countries = await uow.analytics.rolled_up(TallyQuery(owner.id, Dimension.COUNTRY, days))
        placements = await uow.analytics.raw(TallyQuery(owner.id, Dimension.PLACEMENT, days))
        by_code = await uow.analytics.by_code(owner.id, days, rolled_up=True)
        by_code_raw = await uow.analytics.by_code(owner.id, days, rolled_up=False)
        theirs_seen = await uow.analytics.rolled_up(TallyQuery(other.id, Dimension.TOTAL, days))
        every = TallyQuery(owner.id, Dimension.TOTAL, days, per_day=True)
        rolled_by = await uow.analytics.rolled_up_by(every, list(Dimension))
        raw_by = await uow.analytics.raw_by(every, list(Dimension))
        halves = await uow.analytics.rolled_up_halves(TallyQuery(owner.id, Dimension.HOUR, days), 9)
        week = await uow.analytics.rolled_up_week(
            TallyQuery(lobby.owner_id, Dimension.HOUR, days, lobby.id)
        )

    # a: 2 visits, 1 listen; b: 1; c: 1. The repeat hit, the bot and the owner are out.
    assert total == [Tally("", Counts(scans=4, listens=1, visitors=3, bots_left_out=1))]
    assert {(t.value, t.day, t.counts.scans) for t in hours} == {
        ("08", DAY, 2),
        ("11", DAY, 1),
        ("23", DAY, 1),
    }
    assert {t.value: t.counts.scans for t in countries} == {"FR": 2, "DE": 2}
    assert {t.value: t.counts.scans for t in placements} == {"lobby": 2, "": 2}
    assert {t.generation_id: t.counts.scans for t in by_code} == {lobby.id: 3, flyer.id: 1}
    assert sorted(by_code, key=lambda t: str(t.generation_id)) == sorted(
        by_code_raw, key=lambda t: str(t.generation_id)
    )
    assert theirs_seen == [Tally("", Counts(scans=1, visitors=1))]
    assert {d: _sorted(t) for d, t in rolled_by.items()} == {
        d: _sorted(t) for d, t in raw_by.items()
    }
    assert {d: _sorted(t) for d, t in rolled_by.items()} == {
        d: raw[d, True, None] for d in Dimension
    }
    # Hours before 09:00 UTC and the others; 9 March 2026 is a Monday.
    assert {(t.value, t.day, t.counts.scans) for t in halves} == {
        ("before", DAY, 2),
        ("after", DAY, 2),
    }
    assert {(weekday, hour, c.scans) for weekday, hour, c in week} == {(0, 8, 2), (0, 11, 1)}


async def test_old_raw_events_are_deleted_and_usage_is_counted(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    made = make_generation(owner.id, characters_billed=11, audio_bytes=2048)
    gone = dataclasses.replace(
        make_generation(owner.id, characters_billed=5, audio_bytes=999),
        deleted_at=datetime(2026, 3, 10, tzinfo=UTC),
    )
    await add_generations(uows, made, gone)
    async with uows() as uow:
        await uow.playback_events.add_many(
            [
                _event(made.id, datetime(2025, 1, 1, tzinfo=UTC)),
                _event(made.id, datetime(2026, 3, 1, tzinfo=UTC)),
            ]
        )
        await uow.commit()

    async with uows() as uow:
        deleted = await uow.analytics_rollups.delete_events_before(datetime(2025, 6, 1, tzinfo=UTC))
        usage = await uow.analytics.usage(owner.id, month_start=datetime(2026, 3, 1, tzinfo=UTC))
        labels = await uow.analytics.labels(owner.id, [made.id, gone.id, uuid7()])
        await uow.commit()
    async with uows() as uow:
        first = await uow.analytics_rollups.first_event_day()

    assert deleted == 1
    assert first == date(2026, 3, 1)
    assert usage.generations_total == 2
    assert usage.codes == 1
    assert usage.characters_spoken == 16
    assert usage.storage_bytes == 2048
    assert set(labels) == {made.id, gone.id}
    assert labels[gone.id].deleted
