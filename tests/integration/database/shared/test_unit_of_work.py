"""The SQL unit of work on SQLite and on PostgreSQL: it rolls back unless committed, and of
two concurrent claims exactly one wins."""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.database.rows import (
    LEASE,
    NOW,
    add_generations,
    add_user,
    make_generation,
    make_user,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import Conflict


async def test_unit_of_work_rolls_back_unless_committed(uows: SqlUnitOfWorkFactory) -> None:
    forgotten = make_user()
    async with uows() as uow:
        await uow.users.add(forgotten)

    failed = make_user()

    async def add_then_fail() -> None:
        async with uows() as uow:
            await uow.users.add(failed)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    # Work after a commit is a new transaction, rolled back too unless committed.
    kept, after_commit = make_user(), make_user()
    async with uows() as uow:
        await uow.users.add(kept)
        await uow.commit()
        await uow.users.add(after_commit)

    async with uows() as uow:
        assert await uow.users.get(forgotten.id) is None
        assert await uow.users.get(failed.id) is None
        assert await uow.users.get(kept.id) == kept
        assert await uow.users.get(after_commit.id) is None
        assert [u.id for u in await uow.users.list()] == [kept.id]


async def test_concurrent_claims_exactly_one_wins(
    uows: SqlUnitOfWorkFactory, database_url: str
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)
    # On PostgreSQL both read the pending row before either saves; on SQLite BEGIN
    # IMMEDIATE makes the second unit of work wait for the first, so no rendezvous.
    on_postgres = database_url.startswith("postgresql")
    both_read = asyncio.Barrier(2) if on_postgres else None

    async def claim() -> str:
        try:
            async with uows() as uow:
                current = await uow.generations.get(generation.id)
                assert current is not None
                if both_read is not None:
                    await both_read.wait()
                current.claim(NOW, LEASE)
                await uow.generations.update(current)
                await uow.commit()
        except Conflict as error:
            return error.code
        return "won"

    outcomes = await asyncio.wait_for(asyncio.gather(claim(), claim()), timeout=20)

    assert outcomes.count("won") == 1
    (lost,) = [o for o in outcomes if o != "won"]
    if on_postgres:
        assert lost == "stale_generation"
    else:
        assert lost in ("stale_generation", "illegal_transition")
    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded is not None
    assert loaded.status is GenerationStatus.PROCESSING
    assert loaded.attempts == 1
    assert loaded.version == 1
