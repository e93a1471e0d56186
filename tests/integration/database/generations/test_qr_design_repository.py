"""QR designs (a generation's, and each user's default), unchanged on SQLite and on
PostgreSQL, and gone with what they belong to."""

from __future__ import annotations

from sqlalchemy import delete

from tests.integration.database.rows import add_generations, add_user, make_generation
from voiceqr.adapters.database import accounts
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.qr_design import EyeStyle, ModuleStyle, QrDesign

FRAMED = QrDesign(
    foreground="#1a237e",
    background="#fff8e1",
    module_style=ModuleStyle.DOTS,
    eye_style=EyeStyle.CIRCLE,
    frame=True,
    caption="Écoutez l'histoire",
    logo_key="qr-logos/owner/logo.png",
)


async def test_a_generations_design_round_trips_and_saving_again_replaces_it(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        assert await uow.qr_designs.get_for_generation(generation.id) is None
        await uow.qr_designs.save_for_generation(generation.id, QrDesign())
        await uow.qr_designs.save_for_generation(generation.id, FRAMED)
        await uow.commit()

    async with uows() as uow:
        assert await uow.qr_designs.get_for_generation(generation.id) == FRAMED
        assert await uow.qr_designs.get_default(owner.id) is None


async def test_a_default_belongs_to_its_user_and_goes_with_the_account(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner, other = await add_user(uows), await add_user(uows)
    async with uows() as uow:
        await uow.qr_designs.save_default(owner.id, FRAMED)
        await uow.qr_designs.save_default(owner.id, FRAMED.with_logo(None))
        await uow.commit()

    async with uows() as uow:
        assert await uow.qr_designs.get_default(owner.id) == FRAMED.with_logo(None)
        assert await uow.qr_designs.get_default(other.id) is None
    async with uows.engine.begin() as connection:  # users are never deleted by a use case
        await connection.execute(delete(accounts.users).where(accounts.users.c.id == owner.id))

    async with uows() as uow:
        assert await uow.qr_designs.get_default(owner.id) is None
