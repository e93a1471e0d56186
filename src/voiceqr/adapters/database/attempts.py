"""The attempt history of generations (F2) on SQLAlchemy Core."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, insert, select, update

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.repositories import Repository
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.shared.errors import ErrorCategory

_COLUMNS = [c.name for c in t.generation_attempts.columns]


def _row(attempt: GenerationAttempt) -> dict[str, Any]:
    row = {name: getattr(attempt, name) for name in _COLUMNS}
    row["outcome"] = None if attempt.outcome is None else str(attempt.outcome)
    row["error_category"] = None if attempt.error_category is None else str(attempt.error_category)
    return row


def _attempt(row: RowMapping) -> GenerationAttempt:
    values = dict(row)
    if values["outcome"] is not None:
        values["outcome"] = AttemptOutcome(values["outcome"])
    if values["error_category"] is not None:
        values["error_category"] = ErrorCategory(values["error_category"])
    return GenerationAttempt(**values)


class SqlGenerationAttempts(Repository):
    async def add(self, attempt: GenerationAttempt) -> None:
        await self._db.execute(insert(t.generation_attempts).values(_row(attempt)))

    async def update(self, attempt: GenerationAttempt) -> None:
        values = _row(attempt)
        for fixed in ("id", "generation_id", "number", "started_at"):
            del values[fixed]
        await self._db.execute(
            update(t.generation_attempts)
            .where(t.generation_attempts.c.id == attempt.id)
            .values(values)
        )

    async def running(self, generation_id: UUID) -> GenerationAttempt | None:
        c = t.generation_attempts.c
        row = (
            await self._db.execute(
                select(t.generation_attempts)
                .where(c.generation_id == generation_id, c.outcome.is_(None))
                .order_by(c.number.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else _attempt(row._mapping)

    async def list_for(self, generation_id: UUID) -> list[GenerationAttempt]:
        c = t.generation_attempts.c
        rows = await self._db.execute(
            select(t.generation_attempts).where(c.generation_id == generation_id).order_by(c.number)
        )
        return [_attempt(row._mapping) for row in rows]
