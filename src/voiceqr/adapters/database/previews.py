"""Voice previews and comparisons on SQLAlchemy Core.

Previews have a table of their own rather than a kind of generation: every query that
lists, counts, exports, searches or plays generations stays as it is and cannot show a
preview by mistake, and a preview needs none of a generation's owner, public code,
revisions, folders or tags. What they share is the job, not the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Column,
    Index,
    RowMapping,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.adapters.database.spoken_rows import SpokenRowsSql, job_columns, job_row
from voiceqr.application.generations.ports import ComparisonRepository, PreviewRepository
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.shared.errors import Conflict

voice_previews = Table(
    "voice_previews",
    metadata,
    Column("id", GUID, primary_key=True),
    # The voice as it was and the spoken text, hashed: one preview each, for everyone.
    Column("cache_key", String(64), nullable=False, unique=True),
    # No foreign key, like generations.voice_id: the expiry job clears what is left.
    Column("voice_id", GUID, nullable=False),
    Column("text", Text, nullable=False),
    # Who made it new (it counts against that user's day); goes with the account.
    belongs_to("requested_by", "users", nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    *job_columns(),
    # A user's new previews of the last day (the daily allowance).
    Index("ix_voice_previews_requested_by_created", "requested_by", "created_at"),
    # The sweeper's scans and the expiry job's.
    Index("ix_voice_previews_status_next_attempt", "status", "next_attempt_at"),
    Index("ix_voice_previews_expires_at", "expires_at"),
)

voice_comparisons = Table(
    "voice_comparisons",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("owner_id", "users", nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    # The voices picked and their previews, in the order picked (2 to 4 of each).
    Column("voice_ids", JsonB, nullable=False),
    Column("preview_ids", JsonB, nullable=False),
    Index("ix_voice_comparisons_expires_at", "expires_at"),
)


class SqlPreviews(SpokenRowsSql[Preview]):
    table = voice_previews
    item = Preview
    fixed = ("id", "cache_key", "requested_by", "created_at")
    stale = Conflict("The preview changed meanwhile.", code="stale_preview")

    async def add(self, preview: Preview) -> None:
        await self._unique(
            insert(voice_previews).values(job_row(voice_previews, preview)),
            Conflict("This voice is reading this text already.", code="preview_exists"),
        )

    async def get(self, preview_id: UUID) -> Preview | None:
        row = await self._first(select(voice_previews).where(voice_previews.c.id == preview_id))
        return None if row is None else self._item(row)

    async def get_many(self, preview_ids: Sequence[UUID]) -> dict[UUID, Preview]:
        if not preview_ids:
            return {}
        rows = await self._rows(
            select(voice_previews).where(voice_previews.c.id.in_(list(preview_ids)))
        )
        return {p.id: p for p in map(self._item, rows)}

    async def find(self, cache_keys: Sequence[str]) -> dict[str, Preview]:
        if not cache_keys:
            return {}
        rows = await self._rows(
            select(voice_previews).where(voice_previews.c.cache_key.in_(list(cache_keys)))
        )
        return {p.cache_key: p for p in map(self._item, rows)}

    async def keep_until(self, preview_ids: Sequence[UUID], moment: datetime) -> None:
        if preview_ids:
            c = voice_previews.c
            await self._db.execute(
                update(voice_previews)
                .where(c.id.in_(list(preview_ids)), c.expires_at < moment)
                .values(expires_at=moment)
            )

    async def delete(self, preview_id: UUID, *, expired_by: datetime | None = None) -> bool:
        # With `expired_by` the condition is read again on the row as it is deleted (on
        # PostgreSQL after any concurrent `keep_until` commits): a preview used meanwhile stays.
        statement = delete(voice_previews).where(voice_previews.c.id == preview_id)
        if expired_by is not None:
            statement = statement.where(voice_previews.c.expires_at <= expired_by)
        return bool((await self._db.execute(statement)).rowcount == 1)

    async def made_by_since(self, user_id: UUID, since: datetime) -> list[datetime]:
        c = voice_previews.c
        rows = await self._rows(
            select(c.created_at).where(c.requested_by == user_id, c.created_at >= since)
        )
        return [row["created_at"] for row in rows]

    async def expired(self, *, now: datetime, limit: int) -> list[Preview]:
        c = voice_previews.c
        query = select(voice_previews).where(c.expires_at <= now).order_by(c.expires_at)
        return [self._item(row) for row in await self._rows(query.limit(limit))]


def _comparison(row: RowMapping) -> Comparison:
    values = dict(row)
    values["voice_ids"] = [UUID(v) for v in values["voice_ids"]]
    values["preview_ids"] = [UUID(p) for p in values["preview_ids"]]
    return Comparison(**values)


class SqlComparisons(Repository):
    async def add(self, comparison: Comparison) -> None:
        row = row_of(voice_comparisons, comparison)
        row["voice_ids"] = [str(v) for v in comparison.voice_ids]
        row["preview_ids"] = [str(p) for p in comparison.preview_ids]
        await self._db.execute(insert(voice_comparisons).values(row))

    async def get_owned(self, comparison_id: UUID, owner_id: UUID) -> Comparison | None:
        c = voice_comparisons.c
        row = await self._first(
            select(voice_comparisons).where(c.id == comparison_id, c.owner_id == owner_id)
        )
        return None if row is None else _comparison(row)

    async def delete_expired(self, *, now: datetime) -> int:
        result = await self._db.execute(
            delete(voice_comparisons).where(voice_comparisons.c.expires_at <= now)
        )
        return int(result.rowcount)


class PreviewsPart(Part):
    """Voice previews' share of the unit of work (comparing voices side by side)."""

    previews: PreviewRepository
    comparisons: ComparisonRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.previews = SqlPreviews(connection)
        self.comparisons = SqlComparisons(connection)
        super().attach(connection)
