"""Generations on SQLAlchemy Core: their tables, row mapping and repositories.

A generation, the history of its attempts, and its revisions (each regeneration is
one). Its folders, tags and text search are in `organising`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Index,
    Integer,
    RowMapping,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.organising import (
    GenerationFiling,
    SqlFolders,
    SqlTags,
    filter_conditions,
)
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.adapters.database.spoken_rows import SpokenRowsSql, job_columns, job_row
from voiceqr.application.generations.ports import (
    GenerationAttemptRepository,
    GenerationFilter,
    GenerationRepository,
    GenerationRevisionRepository,
    LabelRepository,
)
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.shared.errors import Conflict, ErrorCategory

generations = Table(
    "generations",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("owner_id", "users", nullable=False),
    Column("voice_id", GUID, nullable=False),
    Column("text", Text, nullable=False),
    Column("public_code", String(64), nullable=False, unique=True),
    *job_columns(),
    Column("audio_bytes", BigInteger),
    Column("error_detail", Text),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("completed_at", DateTimeUTC),
    # A tombstone of a deleted generation: the audio is gone and the public code answers 410.
    Column("deleted_at", DateTimeUTC),
    # Regenerating: the revision the current job makes, and the one whose audio is live.
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("live_revision", Integer),
    # The owner's title; NULL: the first words of the text are shown (domain/generations/titles).
    Column("title", String(100)),
    # The owner's history, newest first.
    Index("ix_generations_owner_created", "owner_id", "created_at"),
    # The sweeper's two scans stay small: only unfinished rows are indexed by time.
    Index("ix_generations_status_next_attempt", "status", "next_attempt_at"),
    Index("ix_generations_status_lease", "status", "lease_expires_at"),
)

# The history page walks a user's live generations newest first: with `id` in the
# index the tie-break order needs no sort, and the folder, tag and text filters test each
# entry against their matching ids (see adapters/database/organising.filter_conditions).
Index(
    "ix_generations_owner_live",
    generations.c.owner_id,
    generations.c.created_at,
    generations.c.id,
    sqlite_where=generations.c.deleted_at.is_(None),
    postgresql_where=generations.c.deleted_at.is_(None),
)

# Every attempt at making a generation's audio, in order: its failures stay readable.
generation_attempts = Table(
    "generation_attempts",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_at", DateTimeUTC, nullable=False),
    Column("finished_at", DateTimeUTC),
    Column("outcome", String(20)),
    Column("error_category", String(20)),
    Column("error_code", String(100)),
    Column("error_message", Text),
    Column("error_detail", Text),
    Column("characters_billed", Integer, nullable=False, server_default="0"),
    Column("revision", Integer, nullable=False, server_default="1"),
    # One history per generation, in order; a number is never used twice.
    UniqueConstraint("generation_id", "number", name="uq_generation_attempts_generation_number"),
    # The failure dashboard and the alert count attempts by when they finished.
    Index("ix_generation_attempts_finished_at", "finished_at"),
)

# Each regeneration is a revision; the printed code plays the live one.
generation_revisions = Table(
    "generation_revisions",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("number", Integer, nullable=False),
    Column("text", Text, nullable=False),
    # No foreign key to voices, like generations.voice_id: a removed voice stays named.
    Column("voice_id", GUID, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("completed_at", DateTimeUTC),
    Column("audio_key", String(300)),
    Column("audio_bytes", BigInteger),
    # The owner's list, newest first; a number is never used twice.
    UniqueConstraint("generation_id", "number", name="uq_generation_revisions_generation_number"),
)


# --- generations ---------------------------------------------------------------------


class SqlGenerations(GenerationFiling, SpokenRowsSql[Generation]):
    table = generations
    item = Generation
    # The title is saved on its own (`retitle`), so a worker's save never writes it back.
    fixed = ("id", "owner_id", "public_code", "created_at", "title")
    stale = Conflict("The generation changed meanwhile.", code="stale_generation")

    def _in_job(self) -> ColumnElement[bool]:
        return generations.c.deleted_at.is_(None)  # a deleted generation is no job

    async def add(self, generation: Generation) -> None:
        await self._db.execute(insert(generations).values(job_row(generations, generation)))

    async def get(self, generation_id: UUID) -> Generation | None:
        return await self._one(generations.c.id == generation_id)

    async def retitle(self, generation_id: UUID, title: str | None) -> None:
        c = generations.c
        await self._db.execute(
            update(generations)
            .where(c.id == generation_id, c.deleted_at.is_(None))
            .values(title=title)
        )

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        return await self._one(
            generations.c.id == generation_id,
            generations.c.owner_id == owner_id,
            generations.c.deleted_at.is_(None),
        )

    async def get_by_code(self, public_code: str) -> Generation | None:
        return await self._one(generations.c.public_code == public_code)

    async def list_owned(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> list[Generation]:
        query = self.history_query(owner_id, limit=limit, matching=matching, after=after)
        return [self._item(row) for row in await self._rows(query)]

    def history_query(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> Select[Any]:
        """The statement `list_owned` runs (bench/search.py shows its query plans)."""
        c = generations.c
        query = select(generations).where(c.owner_id == owner_id, c.deleted_at.is_(None))
        if matching is not None:
            if matching.voice_id is not None:
                query = query.where(c.voice_id == matching.voice_id)
            if matching.status is not None:
                query = query.where(c.status == str(matching.status))
            if matching.created_from is not None:
                query = query.where(c.created_at >= matching.created_from)
            if matching.created_to is not None:
                query = query.where(c.created_at < matching.created_to)
            query = query.where(*filter_conditions(self._db.dialect.name, owner_id, matching))
        if after is not None:
            # Keyset: strictly older than the last item shown, ties broken by id. The
            # redundant `created_at <=` is what both engines turn into an index range
            # (owner_id, created_at): without it a deep page walks every newer row.
            query = query.where(
                c.created_at <= after.created_at,
                or_(c.created_at < after.created_at, c.id < after.id),
            )
        return query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)

    async def list_for_admin(
        self,
        *,
        status: GenerationStatus | None,
        category: ErrorCategory | None,
        limit: int,
        owner_id: UUID | None = None,
    ) -> list[Generation]:
        c = generations.c
        query = select(generations).where(c.deleted_at.is_(None))
        if owner_id is not None:
            query = query.where(c.owner_id == owner_id)
        if status is not None:
            query = query.where(c.status == str(status))
        if category is not None:
            query = query.where(c.error_category == str(category))
        query = query.order_by(c.updated_at.desc(), c.id.desc()).limit(limit)
        return [self._item(row) for row in await self._rows(query)]

    async def _one(self, *conditions: Any) -> Generation | None:
        row = await self._first(select(generations).where(*conditions))
        return None if row is None else self._item(row)


# --- attempts ------------------------------------------------------------------------


def _attempt_row(attempt: GenerationAttempt) -> dict[str, Any]:
    row = row_of(generation_attempts, attempt)
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
        await self._db.execute(insert(generation_attempts).values(_attempt_row(attempt)))

    async def update(self, attempt: GenerationAttempt) -> None:
        values = _attempt_row(attempt)
        for fixed in ("id", "generation_id", "number", "started_at"):
            del values[fixed]
        await self._db.execute(
            update(generation_attempts).where(generation_attempts.c.id == attempt.id).values(values)
        )

    async def running(self, generation_id: UUID) -> GenerationAttempt | None:
        c = generation_attempts.c
        row = await self._first(
            select(generation_attempts)
            .where(c.generation_id == generation_id, c.outcome.is_(None))
            .order_by(c.number.desc())
            .limit(1)
        )
        return None if row is None else _attempt(row)

    async def list_for(self, generation_id: UUID) -> list[GenerationAttempt]:
        c = generation_attempts.c
        rows = await self._rows(
            select(generation_attempts).where(c.generation_id == generation_id).order_by(c.number)
        )
        return [_attempt(row) for row in rows]


# --- revisions -----------------------------------------------------------------------


class SqlGenerationRevisions(Repository):
    async def add(self, revision: GenerationRevision) -> None:
        await self._unique(
            insert(generation_revisions).values(row_of(generation_revisions, revision)),
            Conflict(
                f"Revision {revision.number} of this generation exists already.",
                code="duplicate_revision",
            ),
        )

    async def get(self, generation_id: UUID, number: int) -> GenerationRevision | None:
        c = generation_revisions.c
        row = await self._first(
            select(generation_revisions).where(c.generation_id == generation_id, c.number == number)
        )
        return None if row is None else GenerationRevision(**row)

    async def update(self, revision: GenerationRevision) -> None:
        values = row_of(generation_revisions, revision)
        for fixed in ("id", "generation_id", "number", "created_at"):
            del values[fixed]
        await self._db.execute(
            update(generation_revisions)
            .where(generation_revisions.c.id == revision.id)
            .values(values)
        )

    async def list_for(self, generation_id: UUID) -> list[GenerationRevision]:
        c = generation_revisions.c
        rows = await self._rows(
            select(generation_revisions)
            .where(c.generation_id == generation_id)
            .order_by(c.number.desc())
        )
        return [GenerationRevision(**row) for row in rows]


class GenerationsPart(Part):
    """The generations feature's share of the unit of work."""

    generations: GenerationRepository
    generation_attempts: GenerationAttemptRepository
    generation_revisions: GenerationRevisionRepository
    folders: LabelRepository
    tags: LabelRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.generations = SqlGenerations(connection)
        self.generation_attempts = SqlGenerationAttempts(connection)
        self.generation_revisions = SqlGenerationRevisions(connection)
        self.folders = SqlFolders(connection)
        self.tags = SqlTags(connection)
        super().attach(connection)
