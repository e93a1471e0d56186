"""Rows the repository tests store: one fixed time, and users and generations built or
added in one line each."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import Generation, new_public_code
from voiceqr.domain.shared.ids import uuid7

# Microseconds on purpose: both engines must keep them.
NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def make_user(email: str | None = None, *, role: Role = Role.USER) -> User:
    user_id = uuid7()
    return User(
        id=user_id,
        email=email or f"{user_id.hex}@example.com",
        name="Ada Lovelace",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role=role,
        created_at=NOW,
    )


def make_generation(owner_id: UUID, **changes: Any) -> Generation:
    generation = Generation(
        id=uuid7(),
        owner_id=owner_id,
        voice_id=uuid7(),
        text="Hello there",
        public_code=new_public_code(),
        created_at=NOW,
    )
    return dataclasses.replace(generation, **changes)


async def add_user(uows: SqlUnitOfWorkFactory, user: User | None = None) -> User:
    user = user or make_user()
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_generations(uows: SqlUnitOfWorkFactory, *generations: Generation) -> None:
    async with uows() as uow:
        for generation in generations:
            await uow.generations.add(generation)
        await uow.commit()
