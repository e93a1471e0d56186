"""The revisions of generations (G3) on SQLAlchemy Core."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from voiceqr.adapters.database import tables as t
from voiceqr.adapters.database.repositories import Repository
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.shared.errors import Conflict

_COLUMNS = [c.name for c in t.generation_revisions.columns]


def _row(revision: GenerationRevision) -> dict[str, Any]:
    return {name: getattr(revision, name) for name in _COLUMNS}


def _revision(row: RowMapping) -> GenerationRevision:
    return GenerationRevision(**dict(row))


class SqlGenerationRevisions(Repository):
    async def add(self, revision: GenerationRevision) -> None:
        try:
            async with self._db.begin_nested():
                await self._db.execute(insert(t.generation_revisions).values(_row(revision)))
        except IntegrityError:
            raise Conflict(
                f"Revision {revision.number} of this generation exists already.",
                code="duplicate_revision",
            ) from None

    async def get(self, generation_id: UUID, number: int) -> GenerationRevision | None:
        c = t.generation_revisions.c
        row = (
            await self._db.execute(
                select(t.generation_revisions).where(
                    c.generation_id == generation_id, c.number == number
                )
            )
        ).first()
        return None if row is None else _revision(row._mapping)

    async def update(self, revision: GenerationRevision) -> None:
        values = _row(revision)
        for fixed in ("id", "generation_id", "number", "created_at"):
            del values[fixed]
        await self._db.execute(
            update(t.generation_revisions)
            .where(t.generation_revisions.c.id == revision.id)
            .values(values)
        )

    async def list_for(self, generation_id: UUID) -> list[GenerationRevision]:
        c = t.generation_revisions.c
        rows = await self._db.execute(
            select(t.generation_revisions)
            .where(c.generation_id == generation_id)
            .order_by(c.number.desc())
        )
        return [_revision(row._mapping) for row in rows]
