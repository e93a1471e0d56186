"""What every feature's tables and repositories share: one `MetaData` and the base class.

Each feature module (`accounts`, `voices`, `generations`...) defines its tables on this
`metadata`, so a foreign key by name ("users.id") resolves across modules; `schema`
gathers them all for Alembic. Alembic migrations under `migrations/` create exactly
that schema.

advanced-alchemy's types give one column definition that works on both engines:
`GUID` (native uuid on PostgreSQL, 16 bytes on SQLite), `DateTimeUTC` (always
timezone-aware UTC, also on SQLite) and `JsonB` (jsonb on PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID
from sqlalchemy import Column, Executable, ForeignKey, MetaData, RowMapping, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.domain.shared.errors import Conflict

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def belongs_to(name: str, table: str, **options: Any) -> Column[Any]:
    """A column naming the row of `table` this row belongs to, and goes with: deleting
    that row deletes this one."""
    return Column(name, GUID, ForeignKey(f"{table}.id", ondelete="CASCADE"), **options)


class Repository:
    """A repository on the connection of one unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def _first(self, query: Executable) -> RowMapping | None:
        """The first row `query` returns, or None."""
        row = (await self._db.execute(query)).first()
        return None if row is None else row._mapping

    async def _rows(self, query: Executable) -> list[RowMapping]:
        """Every row `query` returns."""
        return [row._mapping for row in await self._db.execute(query)]

    async def _unique(self, statement: Executable, conflict: Conflict) -> None:
        """Runs a write that a unique constraint may refuse, raising `conflict` then.

        The savepoint keeps the unit of work usable after the refusal (PostgreSQL
        aborts the whole transaction on an error otherwise).
        """
        try:
            async with self._db.begin_nested():
                await self._db.execute(statement)
        except IntegrityError:
            raise conflict from None

    async def _mark_used(self, table: Table, row_id: UUID, *, at: datetime) -> bool:
        """Marks a single-use row used; False when it was used already (or is not there)."""
        c = table.c
        result = await self._db.execute(
            update(table).where(c.id == row_id, c.used_at.is_(None)).values(used_at=at)
        )
        return bool(result.rowcount == 1)


def row_of(table: Table, item: object) -> dict[str, Any]:
    """The values of `item`'s attributes named like `table`'s columns."""
    return {column.name: getattr(item, column.name) for column in table.columns}


def upsert(connection: AsyncConnection | Dialect, table: Table) -> Any:
    """An INSERT that can say what to do about a row that is there already (both engines
    spell it ON CONFLICT), so concurrent writers never fail on a duplicate key."""
    dialect = connection if isinstance(connection, Dialect) else connection.dialect
    if dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


class Part:
    """A feature's share of the unit of work: the repositories it sets on a connection.

    Each feature module ends with its part; each part sets its own repositories and
    hands on to the next (`super().attach`), so `SqlUnitOfWork` is the list of its parts.
    """

    def attach(self, connection: AsyncConnection) -> None:
        """The end of the chain: nothing left to set."""
