"""The column types that work the same on both engines: `GUID` (native uuid on
PostgreSQL, 16 bytes on SQLite), `DateTimeUTC` (always timezone-aware UTC, also on
SQLite) and `JsonB` (jsonb on PostgreSQL, JSON text on SQLite).

They store exactly what advanced-alchemy's types of the same names store (the tables
were made with those, and every migration builds its columns with these): only the
PostgreSQL and SQLite branches are kept. The package itself is not a dependency any
more: Litestar imports all of it whenever it is installed (`litestar.pagination` looks
for its paginator), about half a second of every start for three small types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB as POSTGRESQL_JSONB
from sqlalchemy.dialects.postgresql import UUID as POSTGRESQL_UUID
from sqlalchemy.engine import Dialect
from sqlalchemy.types import BINARY, TypeDecorator, TypeEngine

__all__ = ["GUID", "DateTimeUTC", "JsonB"]


class GUID(TypeDecorator[UUID]):
    """A UUID: PostgreSQL's uuid, elsewhere its 16 bytes."""

    impl = BINARY(16)
    cache_ok = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # `GUID(length=16)` in the migrations: the width is fixed, the arguments unused.
        super().__init__()

    @property
    def python_type(self) -> type[UUID]:
        return UUID

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(POSTGRESQL_UUID())
        return dialect.type_descriptor(BINARY(16))

    def process_bind_param(self, value: UUID | str | bytes | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return str(value)
        return _as_uuid(value).bytes

    def process_result_value(self, value: Any, dialect: Dialect) -> UUID | None:
        if value is None or isinstance(value, UUID):
            return value
        return UUID(bytes=bytes(value))

    def compare_values(self, x: Any, y: Any) -> bool:
        return bool(x == y)


def _as_uuid(value: UUID | str | bytes) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, str):
        return UUID(hex=value)
    return UUID(bytes=value)


class DateTimeUTC(TypeDecorator[datetime]):
    """A moment: stored in UTC, read back timezone-aware; a naive datetime is refused,
    as it names no moment."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise TypeError("tzinfo is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)  # SQLite keeps no zone: what it holds is UTC


JsonB: TypeEngine[Any] = JSON().with_variant(POSTGRESQL_JSONB(), "postgresql")
"""JSON: jsonb on PostgreSQL (indexable, compact), JSON text elsewhere."""
