"""What is left of an account in the database: every row of every table that names it
(a user, owner or actor column, or a generation of its own)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database.schema import metadata

# The columns that say whose a row is.
OWNER_COLUMNS = ("user_id", "owner_id", "actor_id")


async def rows_naming(
    engine: AsyncEngine, user_id: UUID, generation_ids: list[UUID]
) -> dict[str, int]:
    """Table -> rows that still name the account (or one of its generations); the tables
    with none are left out, so a clean account is `{}`."""
    left: dict[str, int] = {}
    async with engine.connect() as connection:
        for table in metadata.sorted_tables:
            conditions = [table.c[name] == user_id for name in OWNER_COLUMNS if name in table.c]
            if table.name == "users":
                conditions.append(table.c.id == user_id)
            if "generation_id" in table.c and generation_ids:
                conditions.append(table.c.generation_id.in_(generation_ids))
            if table.name == "generations" and generation_ids:
                conditions.append(table.c.id.in_(generation_ids))
            for condition in conditions:
                query = select(func.count()).select_from(table).where(condition)
                count = int((await connection.execute(query)).scalar_one())
                if count:
                    left[table.name] = left.get(table.name, 0) + count
    return left
