"""When each periodic job runs next, on SQLAlchemy Core: a claim is one conditional
UPDATE, so of any number of workers exactly one runs each period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.unit_of_work import transaction


class SqlScheduleClaims:
    """Claims in their own short transaction, apart from any unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, name: str, *, now: datetime, next_run_at: datetime) -> bool:
        c = t.job_schedules.c
        async with transaction(self._engine) as connection:
            # On PostgreSQL a second claimer waits for the first one's row lock, then
            # sees its new next_run_at and updates nothing; SQLite lets one writer in.
            moved = await connection.execute(
                update(t.job_schedules)
                .where(c.name == name, c.next_run_at <= now)
                .values(next_run_at=next_run_at)
            )
            if moved.rowcount == 1:
                return True
            # Never run before: the first to insert its row runs it.
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            inserted = await connection.execute(
                dialect.insert(t.job_schedules)
                .values(name=name, next_run_at=next_run_at)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(inserted.rowcount == 1)
