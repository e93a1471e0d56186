"""Scan and listen events in the database, counted per generation, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
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
        await uow.playback_events.add_many([*batch, orphan])
        await uow.commit()
    async with uows() as uow:  # the same batch handed over again after a crash
        await uow.playback_events.add_many(batch[:3])
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
