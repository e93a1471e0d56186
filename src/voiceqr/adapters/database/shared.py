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

from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Repository:
    """A repository on the connection of one unit of work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection


def upsert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT that can say what to do about a row that is there already (both engines
    spell it ON CONFLICT), so concurrent writers never fail on a duplicate key."""
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)
