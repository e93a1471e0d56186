"""The history query (G1 keyset pages and filters) and the G2 tombstone, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.ids import uuid7


async def page(
    uows: SqlUnitOfWorkFactory,
    owner_id: UUID,
    *,
    limit: int = 10,
    after: Generation | None = None,
    **matching: Any,
) -> list[UUID]:
    position = None if after is None else HistoryPosition(after.created_at, after.id)
    async with uows() as uow:
        found = await uow.generations.list_owned(
            owner_id,
            limit=limit,
            matching=GenerationFilter(**matching),
            after=position,
        )
    return [g.id for g in found]


async def test_keyset_pages_stay_stable_when_a_generation_arrives_between_fetches(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    ms = int(NOW.timestamp() * 1000)
    # Two pairs share a created_at: the id breaks the tie.
    rows = [
        make_generation(owner.id, id=uuid7(ms - 5), created_at=NOW - timedelta(hours=3)),
        make_generation(owner.id, id=uuid7(ms - 4), created_at=NOW - timedelta(hours=2)),
        make_generation(owner.id, id=uuid7(ms - 3), created_at=NOW - timedelta(hours=2)),
        make_generation(owner.id, id=uuid7(ms - 2), created_at=NOW - timedelta(hours=1)),
        make_generation(owner.id, id=uuid7(ms - 1), created_at=NOW),
    ]
    await add_generations(uows, *rows)
    newest_first = [g.id for g in reversed(rows)]
    by_id = {g.id: g for g in rows}

    first = await page(uows, owner.id, limit=2)
    assert first == newest_first[:2]
    await add_generations(uows, make_generation(owner.id, created_at=NOW + timedelta(hours=1)))
    second = await page(uows, owner.id, limit=2, after=by_id[first[-1]])
    third = await page(uows, owner.id, limit=2, after=by_id[second[-1]])
    assert second + third == newest_first[2:]


async def test_filters_combine_and_deleted_or_foreign_rows_never_show(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner, stranger = await add_user(uows), await add_user(uows)
    voice, other_voice = uuid7(), uuid7()
    early = make_generation(owner.id, voice_id=voice, created_at=NOW - timedelta(days=2))
    done = make_generation(
        owner.id, voice_id=voice, created_at=NOW, status=GenerationStatus.COMPLETED
    )
    other = make_generation(owner.id, voice_id=other_voice, created_at=NOW - timedelta(days=1))
    gone = make_generation(owner.id, voice_id=voice, created_at=NOW, deleted_at=NOW)
    theirs = make_generation(stranger.id, voice_id=voice, created_at=NOW)
    await add_generations(uows, early, done, other, gone, theirs)

    assert await page(uows, owner.id) == [done.id, other.id, early.id]
    assert await page(uows, owner.id, voice_id=voice) == [done.id, early.id]
    assert await page(uows, owner.id, status=GenerationStatus.COMPLETED) == [done.id]
    assert await page(uows, owner.id, status=GenerationStatus.PENDING, voice_id=voice) == [early.id]
    window = {"created_from": NOW - timedelta(days=1), "created_to": NOW}
    assert await page(uows, owner.id, **window) == [other.id]
    async with uows() as uow:
        assert await uow.generations.get_owned(gone.id, owner.id) is None
        assert await uow.generations.get_by_code(gone.public_code) == gone


async def test_a_deleted_generation_is_left_alone_by_the_sweeper(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    pending = make_generation(owner.id, next_attempt_at=NOW, deleted_at=NOW)
    leased = make_generation(
        owner.id,
        status=GenerationStatus.PROCESSING,
        lease_expires_at=NOW - timedelta(minutes=1),
        deleted_at=NOW,
    )
    await add_generations(uows, pending, leased)
    async with uows() as uow:
        due = await uow.generations.due_for_enqueue(now=NOW, enqueued_before=NOW, limit=10)
        expired = await uow.generations.with_expired_lease(now=NOW, limit=10)
    assert due == []
    assert expired == []


async def test_the_tombstone_round_trips(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)
    generation.delete(NOW + timedelta(seconds=1))
    async with uows() as uow:
        await uow.generations.update(generation)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.generations.get(generation.id)
    assert stored == generation
    assert stored is not None
    assert stored.deleted_at == NOW + timedelta(seconds=1)
