"""When each periodic job runs next, on SQLAlchemy Core: a claim is one conditional
UPDATE, so of any number of workers exactly one runs each period."""

from __future__ import annotations

from datetime import datetime

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Column, String, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database.shared import metadata
from voiceqr.adapters.database.unit_of_work import transaction

# When each periodic job runs next: the compare-and-set that runs it once per period
# across every worker.
job_schedules = Table(
    "job_schedules",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("next_run_at", DateTimeUTC, nullable=False),
)


class SqlScheduleClaims:
    """Claims in their own short transaction, apart from any unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, name: str, *, now: datetime, next_run_at: datetime) -> bool:
        c = job_schedules.c
        async with transaction(self._engine) as connection:
            # On PostgreSQL a second claimer waits for the first one's row lock, then
            # sees its new next_run_at and updates nothing; SQLite lets one writer in.
            moved = await connection.execute(
                update(job_schedules)
                .where(c.name == name, c.next_run_at <= now)
                .values(next_run_at=next_run_at)
            )
            if moved.rowcount == 1:
                return True
            # Never run before: the first to insert its row runs it.
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            inserted = await connection.execute(
                dialect.insert(job_schedules)
                .values(name=name, next_run_at=next_run_at)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            return bool(inserted.rowcount == 1)
