"""The SQL preferences repository (P7-P9), unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import delete

from voiceqr.adapters.database import accounts
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.ids import uuid7

NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


async def add_user(uows: SqlUnitOfWorkFactory) -> User:
    user_id = uuid7()
    user = User(
        id=user_id,
        email=f"{user_id.hex}@example.com",
        name="Ada",
        password_hash=None,
        role=Role.USER,
        created_at=NOW,
    )
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def test_preferences_round_trip_and_save_replaces(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    voice_id = uuid7()
    first = UserPreferences(user_id=user.id, default_voice_id=voice_id, qr_size=1024)
    second = first.with_draft("Caf\u00e9 <b>", voice_id, at=NOW)
    async with uows() as uow:
        assert await uow.preferences.get(user.id) is None
        await uow.preferences.save(first)
        await uow.preferences.save(second)
        await uow.commit()
    async with uows() as uow:
        assert await uow.preferences.get(user.id) == second


async def test_clear_draft_keeps_the_other_preferences(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    kept = UserPreferences(user_id=user.id, qr_size=300)
    async with uows() as uow:
        await uow.preferences.save(kept.with_draft("text", None, at=NOW))
        await uow.preferences.clear_draft(user.id)
        await uow.preferences.clear_draft(uuid7())  # nobody's row: nothing happens
        await uow.commit()
    async with uows() as uow:
        assert await uow.preferences.get(user.id) == kept


async def test_concurrent_first_saves_do_not_collide(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)

    async def save(text: str) -> None:
        async with uows() as uow:
            await uow.preferences.save(
                UserPreferences(user_id=user.id).with_draft(text, None, at=NOW)
            )
            await uow.commit()

    await asyncio.gather(*(save(f"draft {i}") for i in range(5)))
    async with uows() as uow:
        found = await uow.preferences.get(user.id)
    assert found is not None
    assert found.draft_text.startswith("draft ")


async def test_rows_go_with_their_user(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    async with uows() as uow:
        await uow.preferences.save(UserPreferences(user_id=user.id))
        await uow.commit()
    async with uows.engine.begin() as connection:  # users are never deleted by a use case
        await connection.execute(delete(accounts.users).where(accounts.users.c.id == user.id))
    async with uows() as uow:
        assert await uow.preferences.get(user.id) is None
