"""Scan and listen events in the database, counted per generation, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.playback.events import (
    Device,
    PlaybackCounts,
    PlaybackEvent,
    PlaybackEventKind,
    Source,
    StoredEvent,
)
from voiceqr.domain.shared.ids import uuid7


async def test_playback_events_counts(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    busy, listened, quiet = (make_generation(owner.id) for _ in range(3))
    await add_generations(uows, busy, listened, quiet)

    def event(generation: Generation, kind: PlaybackEventKind) -> PlaybackEvent:
        return PlaybackEvent(
            id=uuid7(),
            generation_id=generation.id,
            kind=kind,
            occurred_at=NOW,
            user_agent="Mozilla/5.0 (Test)",
        )

    batch = [
        event(busy, PlaybackEventKind.SCAN),
        event(busy, PlaybackEventKind.SCAN),
        event(busy, PlaybackEventKind.LISTEN),
        event(listened, PlaybackEventKind.LISTEN),
        PlaybackEvent(
            id=uuid7(),
            generation_id=listened.id,
            kind=PlaybackEventKind.LISTEN,
            occurred_at=NOW,
        ),
    ]
    # A generation deleted with its account before the batch came: its event is dropped.
    orphan = PlaybackEvent(
        id=uuid7(), generation_id=uuid7(), kind=PlaybackEventKind.SCAN, occurred_at=NOW
    )
    async with uows() as uow:
        await uow.playback_events.add_many([StoredEvent(e) for e in [*batch, orphan]])
        await uow.commit()
    async with uows() as uow:  # the same batch handed over again after a crash
        await uow.playback_events.add_many([StoredEvent(e) for e in batch[:3]])
        await uow.playback_events.add_many([])
        await uow.commit()

    unknown = uuid7()
    async with uows() as uow:
        counts = await uow.playback_events.counts([busy.id, listened.id, quiet.id, unknown])
        some = await uow.playback_events.counts([listened.id])
        none = await uow.playback_events.counts([])

    assert counts == {
        busy.id: PlaybackCounts(scans=2, listens=1),
        listened.id: PlaybackCounts(scans=0, listens=2),
        quiet.id: PlaybackCounts(scans=0, listens=0),
        unknown: PlaybackCounts(scans=0, listens=0),
    }
    assert some == {listened.id: PlaybackCounts(scans=0, listens=2)}
    assert none == {}


async def test_visits_are_found_by_visitor_and_only_counted_visits_count(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    code = make_generation(owner.id)
    await add_generations(uows, code)
    scan, listen = PlaybackEventKind.SCAN, PlaybackEventKind.LISTEN
    early, late = NOW - timedelta(minutes=40), NOW - timedelta(minutes=5)
    stored = [
        StoredEvent(PlaybackEvent(uuid7(), code.id, scan, early, visitor="aaaa")),
        StoredEvent(PlaybackEvent(uuid7(), code.id, scan, late, visitor="aaaa"), new_visit=False),
        StoredEvent(
            PlaybackEvent(uuid7(), code.id, scan, late, visitor="bbbb"), device=Device(bot=True)
        ),
        StoredEvent(PlaybackEvent(uuid7(), code.id, scan, late, visitor="cccc", owner_view=True)),
        StoredEvent(PlaybackEvent(uuid7(), code.id, listen, late, visitor="aaaa")),
        StoredEvent(
            PlaybackEvent(
                uuid7(), code.id, scan, late, visitor="dddd", source=Source.QR, placement="lobby"
            ),
            device=Device(device="mobile", os="iOS 17", browser="Mobile Safari 17"),
        ),
    ]
    async with uows() as uow:
        await uow.playback_events.add_many(stored)
        await uow.commit()

    async with uows() as uow:
        seen = await uow.playback_events.last_seen(
            {(code.id, scan, "aaaa"), (code.id, scan, "zzzz"), (code.id, listen, "aaaa")},
            since=NOW - timedelta(minutes=30),
        )
        counts = await uow.playback_events.counts([code.id])

    assert seen == {(code.id, scan, "aaaa"): late, (code.id, listen, "aaaa"): late}
    assert counts == {code.id: PlaybackCounts(scans=2, listens=1)}


async def test_a_batch_of_many_visitors_is_stored_and_each_one_found_again(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """More hits than one insert slice, and more visitors than one lookup asks about:
    each is stored with its time, and found again; a visitor never seen is not."""
    owner = await add_user(uows)
    code = make_generation(owner.id)
    await add_generations(uows, code)
    scan = PlaybackEventKind.SCAN
    times = {f"v{n:04d}": NOW - timedelta(minutes=20, microseconds=n) for n in range(700)}
    async with uows() as uow:
        await uow.playback_events.add_many(
            [
                StoredEvent(PlaybackEvent(uuid7(), code.id, scan, at, visitor=v))
                for v, at in times.items()
            ]
        )
        await uow.commit()

    asked = {(code.id, scan, visitor) for visitor in [*times, "never", "seen"]}
    async with uows() as uow:
        seen = await uow.playback_events.last_seen(asked, since=NOW - timedelta(minutes=30))
        counts = await uow.playback_events.counts([code.id])

    assert seen == {(code.id, scan, visitor): at for visitor, at in times.items()}
    assert counts == {code.id: PlaybackCounts(scans=700, listens=0)}


async def test_a_batch_handed_over_twice_is_stored_once_with_everything_it_said(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """A batch of an odd size (SQLite stores events many to a statement, and the rest
    in smaller ones), with an event twice in it, handed over again after a crash: each
    event is stored once, with every value as the page and the ingest made it."""
    owner = await add_user(uows)
    code = make_generation(owner.id)
    await add_generations(uows, code)
    batch = [
        StoredEvent(
            PlaybackEvent(
                uuid7(),
                code.id,
                PlaybackEventKind.LISTEN if n % 3 else PlaybackEventKind.SCAN,
                NOW - timedelta(seconds=n, microseconds=n),
                user_agent=f"Agent/{n}",
                visitor=f"{n:016x}",
                previous_visitor=f"{n + 1:016x}",
                source=Source.QR if n % 2 else Source.LINK,
                placement=f"place-{n % 4}",
                referrer_host="example.com" if n % 5 else "",
                language="en" if n % 2 else "pt",
                country="PT" if n % 2 else "",
                owner_view=n % 7 == 0,
            ),
            Device(bot=n % 11 == 0, device="mobile", os=f"iOS {n}", browser="Safari 17"),
            new_visit=n % 2 == 0,
        )
        for n in range(157)
    ]
    async with uows() as uow:
        await uow.playback_events.add_many([*batch, batch[5]])
        await uow.commit()
    async with uows() as uow:
        await uow.playback_events.add_many(batch[100:])
        await uow.commit()

    async with uows.engine.connect() as connection:
        rows = (await connection.execute(select(playback_events))).mappings().all()
    stored = {row["id"]: row for row in rows}
    assert len(rows) == len(batch)
    for one in batch:
        e, device, row = one.event, one.device, stored[one.event.id]
        assert (row["generation_id"], row["kind"], row["occurred_at"]) == (
            e.generation_id,
            e.kind,
            e.occurred_at,
        )
        assert (row["user_agent"], row["visitor"], row["source"], row["placement"]) == (
            e.user_agent,
            e.visitor,
            e.source,
            e.placement,
        )
        assert (row["referrer_host"], row["language"], row["country"]) == (
            e.referrer_host,
            e.language,
            e.country,
        )
        assert (row["device"], row["os"], row["browser"], row["bot"]) == (
            device.device,
            device.os,
            device.browser,
            device.bot,
        )
        assert (row["owner_view"], row["new_visit"]) == (e.owner_view, one.new_visit)


async def test_a_days_salt_is_the_first_one_stored_and_old_ones_go(
    uows: SqlUnitOfWorkFactory,
) -> None:
    today = NOW.date()
    async with uows() as uow:
        first = await uow.visitor_salts.get_or_add(today, b"1" * 32)
        again = await uow.visitor_salts.get_or_add(today, b"2" * 32)
        await uow.visitor_salts.get_or_add(today - timedelta(days=2), b"3" * 32)
        deleted = await uow.visitor_salts.delete_before(today - timedelta(days=1))
        await uow.commit()

    assert first == again == b"1" * 32
    assert deleted == 1


async def test_finding_a_visitors_last_event_searches_the_visitor_index_by_every_column(
    fresh_sqlite: str,
) -> None:
    """Each stored batch asks when its visitors were last seen: the search goes straight to
    (code, kind, visitor, recent times) rather than walking every event the code ever had
    (which it did, and a popular code's batches slowed down with each scan)."""
    uows = SqlUnitOfWorkFactory(create_engine(fresh_sqlite))
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    try:
        owner = await add_user(uows)
        code = make_generation(owner.id)
        await add_generations(uows, code)
        event.listen(uows.engine.sync_engine, "before_cursor_execute", record)
        async with uows() as uow:
            await uow.playback_events.last_seen(
                {(code.id, PlaybackEventKind.SCAN, "aaaa")}, since=NOW - timedelta(minutes=30)
            )
        event.remove(uows.engine.sync_engine, "before_cursor_execute", record)
        (lookup, parameters), *_ = [s for s in statements if "max(" in s[0].lower()]
        async with uows.engine.connect() as connection:
            plan = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {lookup}", parameters)
            details = " ".join(str(row[-1]) for row in plan)
    finally:
        await uows.dispose()

    assert "ix_playback_events_visitor" in details, details
    assert "kind=? AND visitor=? AND occurred_at>?" in details, details
