"""What each listen heard, in the database on SQLite and PostgreSQL: one row per listen,
grown by every report, tallied per audio revision."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.playback import listens
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.playback.listening import ALL_HEARD, Heard, Listen

FIRST_HALF = Heard((1 << 10) - 1)


async def record(uows: SqlUnitOfWorkFactory, *reports: Listen) -> None:
    async with uows() as uow:
        for report in reports:
            await uow.listens.record(report)
        await uow.commit()


async def test_a_listen_is_one_row_that_only_grows(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    code = make_generation(owner.id)
    await add_generations(uows, code)
    listen = uuid.uuid4()

    def report(mask: int, minutes: int) -> Listen:
        return Listen(listen, code.id, 1, Heard(mask), NOW + timedelta(minutes=minutes))

    await record(uows, report(0b1, 0))
    await record(uows, report(0b110, 1), report(0b1, 2))  # a smaller report takes nothing away
    async with uows() as uow:
        tally = await uow.listens.tally(code.id, 1)
    async with uows.engine.connect() as connection:
        rows = (await connection.execute(select(listens))).mappings().all()
    assert tally == {Heard(0b111): 1}
    assert len(rows) == 1
    assert (rows[0]["started_at"], rows[0]["updated_at"]) == (NOW, NOW + timedelta(minutes=2))


async def test_reports_racing_each_other_both_count(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    code = make_generation(owner.id)
    await add_generations(uows, code)
    listen = uuid.uuid4()
    await asyncio.gather(
        *(record(uows, Listen(listen, code.id, 1, Heard(1 << b), NOW)) for b in range(6))
    )
    async with uows() as uow:
        assert await uow.listens.tally(code.id, 1) == {Heard(0b111111): 1}


async def test_listens_are_tallied_per_code_and_revision(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    code, other = make_generation(owner.id), make_generation(owner.id)
    await add_generations(uows, code, other)
    taken = uuid.uuid4()
    await record(
        uows,
        Listen(uuid.uuid4(), code.id, 1, FIRST_HALF, NOW),
        Listen(uuid.uuid4(), code.id, 1, FIRST_HALF, NOW),
        Listen(uuid.uuid4(), code.id, 1, Heard(ALL_HEARD), NOW),
        Listen(uuid.uuid4(), code.id, 2, Heard(0b1), NOW),
        Listen(taken, other.id, 1, Heard(0b1), NOW),
        # The same listen id sent for another code or revision does not touch that row.
        Listen(taken, code.id, 1, Heard(ALL_HEARD), NOW),
        Listen(taken, other.id, 2, Heard(ALL_HEARD), NOW),
    )
    async with uows() as uow:
        first = await uow.listens.tally(code.id, 1)
        second = await uow.listens.tally(code.id, 2)
        others = await uow.listens.tally(other.id, 1)
        none = await uow.listens.tally(code.id, 3)
    assert first == {FIRST_HALF: 2, Heard(ALL_HEARD): 1}
    assert second == {Heard(0b1): 1}
    assert others == {Heard(0b1): 1}
    assert none == {}


async def test_listens_are_tallied_by_when_they_started_and_per_owners_live_audio(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner, other = await add_user(uows), await add_user(uows)
    code, theirs = make_generation(owner.id), make_generation(other.id)
    await add_generations(uows, code, theirs)
    early, late = NOW, NOW + timedelta(days=1)
    await record(
        uows,
        Listen(uuid.uuid4(), code.id, 1, FIRST_HALF, early),
        Listen(uuid.uuid4(), code.id, 1, Heard(ALL_HEARD), late),
        Listen(uuid.uuid4(), code.id, 2, Heard(ALL_HEARD), late),  # not the live audio
        Listen(uuid.uuid4(), theirs.id, 1, Heard(ALL_HEARD), late),
    )
    day_two = (late, late + timedelta(days=1))
    async with uows() as uow:
        assert await uow.listens.tally(code.id, 1, between=day_two) == {Heard(ALL_HEARD): 1}
        by_code = await uow.listens.tallies_of_owner(owner.id, between=(early, day_two[1]))
    assert by_code == {code.id: {FIRST_HALF: 1, Heard(ALL_HEARD): 1}}
