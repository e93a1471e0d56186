"""The job state of spoken rows (generations and voice previews) on SQLAlchemy Core.

Both tables carry the same job columns (status, attempts, next attempt, lease, hand-off
stamp, error, version); what the job asks of them (a versioned save, the due rows, the
expired leases, the hand-off stamp) is written here once. Each repository names its
table, how a row maps to its item, the columns a save never changes, and any condition
that keeps a row out of the job (a deleted generation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    or_,
    select,
    true,
    update,
)

from voiceqr.adapters.database.shared import Repository, row_of
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import Conflict, ErrorCategory

Item = TypeVar("Item")


def job_columns() -> list[Column[Any]]:
    """The job state every table of spoken rows has (new columns for each table)."""
    return [
        Column("status", String(20), nullable=False),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("next_attempt_at", DateTimeUTC),
        Column("lease_expires_at", DateTimeUTC),
        Column("enqueued_at", DateTimeUTC),
        Column("audio_key", String(300)),
        Column("characters_billed", Integer, nullable=False, server_default="0"),
        Column("error_category", String(20)),
        Column("error_code", String(100)),
        Column("error_message", Text),
        Column("updated_at", DateTimeUTC),
        Column("version", Integer, nullable=False, server_default="0"),
    ]


def job_row(table: Table, item: Any) -> dict[str, Any]:
    """The values of `item` for `table`, its status and error category as text."""
    row = row_of(table, item)
    row["status"] = str(item.status)
    row["error_category"] = None if item.error_category is None else str(item.error_category)
    return row


def job_values(row: RowMapping) -> dict[str, Any]:
    """The values of a row for its item's constructor, status and category typed again."""
    values = dict(row)
    values["status"] = GenerationStatus(values["status"])
    if values["error_category"] is not None:
        values["error_category"] = ErrorCategory(values["error_category"])
    return values


class SpokenRowsSql(Repository, Generic[Item]):
    """The job's queries on one table of spoken rows."""

    table: ClassVar[Table]
    item: ClassVar[Callable[..., Any]]  # the item's class, built from a row's values
    fixed: ClassVar[tuple[str, ...]]  # columns a save never changes, `id` first
    stale: ClassVar[Conflict]  # what a save raises when someone saved since the read

    def _in_job(self) -> ColumnElement[bool]:
        """The rows the job may touch (all, unless a table keeps some out)."""
        return true()

    def _item(self, row: RowMapping) -> Item:
        made: Item = type(self).item(**job_values(row))
        return made

    async def update(self, item: Any) -> None:
        values = job_row(self.table, item)
        for fixed in self.fixed:
            del values[fixed]
        values["version"] = item.version + 1
        c = self.table.c
        result = await self._db.execute(
            update(self.table).where(c.id == item.id, c.version == item.version).values(values)
        )
        if result.rowcount != 1:
            raise Conflict(self.stale.message, code=self.stale.code)
        item.version += 1

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Item]:
        c = self.table.c
        query = (
            select(self.table)
            .where(c.status == str(GenerationStatus.PENDING), self._in_job())
            .where(or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
            .where(or_(c.enqueued_at.is_(None), c.enqueued_at < enqueued_before))
            .order_by(c.next_attempt_at.asc().nulls_first())
            .limit(limit)
        )
        return [self._item(row) for row in await self._rows(query)]

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Item]:
        c = self.table.c
        query = (
            select(self.table)
            .where(c.status == str(GenerationStatus.PROCESSING), self._in_job())
            .where(c.lease_expires_at <= now)
            .order_by(c.lease_expires_at)
            .limit(limit)
        )
        return [self._item(row) for row in await self._rows(query)]

    async def mark_enqueued(self, ids: Sequence[UUID], *, now: datetime | None) -> None:
        if ids:
            c = self.table.c
            await self._db.execute(
                update(self.table)
                .where(c.id.in_(list(ids)), c.status == str(GenerationStatus.PENDING))
                .values(enqueued_at=now)
            )
