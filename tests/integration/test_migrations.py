"""Alembic migrations: they go up and down cleanly and build exactly `tables.metadata`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, Table, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import TypeEngine

from tests.conftest import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    _admin,
    postgres_url,
    reachable,
    service_missing,
)
from voiceqr.adapters.database import migrate, tables
from voiceqr.adapters.database.unit_of_work import create_engine
from voiceqr.domain.ids import uuid7

TABLES = {
    "users",
    "sessions",
    "voices",
    "generations",
    "playback_events",
    # accounts (0002)
    "account_tokens",
    "login_events",
    "recovery_codes",
    "api_keys",
    "social_identities",
    "mail_outbox",
    # attempt history (0004)
    "generation_attempts",
    # generation preferences (0005)
    "user_preferences",
}


def head_revision() -> str:
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[AsyncEngine]:
    """An engine on a brand-new, empty (unmigrated) database."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
        try:
            yield engine
        finally:
            await engine.dispose()
        return

    if not reachable(POSTGRES_HOST, POSTGRES_PORT):
        service_missing(f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}")
    name = f"voiceqr_m_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    engine = create_engine(postgres_url(name))
    try:
        yield engine
    finally:
        await engine.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's type comparison, except where SQLite reflection cannot tell.

    SQLite reflects a type name it does not know by its affinity, so the `BINARY(16)`
    of a GUID column comes back as `NUMERIC(16)` and looks changed. When the type
    declared in the database is, as written, what the metadata type compiles to, the
    column is unchanged; anything else goes to alembic's own comparison (None).
    """
    connection = context.connection
    assert connection is not None
    if connection.dialect.name != "sqlite":
        return None
    table = metadata_column.table.name
    declared = {
        row[1]: row[2] for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')
    }
    if declared.get(metadata_column.name) == metadata_type.compile(dialect=connection.dialect):
        return False
    return None


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
    return list(compare_metadata(context, tables.metadata))


async def test_upgrade_downgrade_upgrade(empty_engine: AsyncEngine) -> None:
    assert await migrate.current(empty_engine) is None
    assert await table_names(empty_engine) == set()

    await migrate.upgrade(empty_engine)
    assert await migrate.current(empty_engine) == head_revision()
    assert await table_names(empty_engine) == TABLES | {"alembic_version"}

    await migrate.downgrade(empty_engine, "base")
    assert await migrate.current(empty_engine) is None
    assert await table_names(empty_engine) <= {"alembic_version"}

    await migrate.upgrade(empty_engine)
    assert await migrate.current(empty_engine) == head_revision()
    assert await table_names(empty_engine) == TABLES | {"alembic_version"}
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(schema_differences) == []


async def test_0002_keeps_accounts_verified_and_signs_everyone_out(
    empty_engine: AsyncEngine,
) -> None:
    """Accounts made by hand before self-service count as verified; old sessions (which
    have no public id) are dropped, so everyone signs in once more."""
    await migrate.upgrade(empty_engine, "0001")
    old = MetaData()
    users_0001 = Table(
        "users",
        old,
        Column("id", GUID),
        Column("email", String),
        Column("name", String),
        Column("password_hash", String),
        Column("role", String),
        Column("created_at", DateTimeUTC),
    )
    sessions_0001 = Table(
        "sessions",
        old,
        Column("token_hash", String),
        Column("user_id", GUID),
        Column("created_at", DateTimeUTC),
        Column("last_seen_at", DateTimeUTC),
        Column("expires_at", DateTimeUTC),
        Column("idle_expires_at", DateTimeUTC),
    )
    user_id = uuid7()
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(users_0001).values(
                id=user_id,
                email="ada@example.com",
                name="Ada",
                password_hash="$argon2id$x",
                role="user",
                created_at=created,
            )
        )
        await connection.execute(
            insert(sessions_0001).values(
                token_hash="a" * 64,
                user_id=user_id,
                created_at=created,
                last_seen_at=created,
                expires_at=created + timedelta(days=1),
                idle_expires_at=created + timedelta(hours=2),
            )
        )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        user = (await connection.execute(select(tables.users))).one()._mapping
        sessions = (await connection.execute(select(tables.sessions))).all()
    assert (user["email"], user["status"], user["password_hash"]) == (
        "ada@example.com",
        "active",
        "$argon2id$x",
    )
    assert user["email_verified_at"] == created
    assert sessions == []

    # And back: the account is still there for the previous release.
    await migrate.downgrade(empty_engine, "0001")
    async with empty_engine.connect() as connection:
        emails = (await connection.execute(select(users_0001.c.email))).scalars().all()
    assert emails == ["ada@example.com"]


async def test_migrated_schema_matches_metadata(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(schema_differences)
    finally:
        await engine.dispose()

    assert differences == []


def drift(connection: Connection) -> None:
    """Change the migrated schema the ways a forgotten migration would."""
    connection.execute(text("DROP INDEX ix_generations_status_lease"))
    connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    connection.execute(text("ALTER TABLE voices ADD COLUMN extra VARCHAR(10)"))
    # A type change, done by re-creating the table (SQLite cannot alter a column type).
    copy = MetaData(naming_convention=tables.metadata.naming_convention)
    for table in (tables.users, tables.generations):
        table.to_metadata(copy)
    events = tables.playback_events.to_metadata(copy)
    events.c.user_agent.type = String(300)
    events.drop(connection)
    events.create(connection)


def summary(differences: list[Any]) -> list[tuple[str, str]]:
    flat = [d for group in differences for d in (group if isinstance(group, list) else [group])]
    found = []
    for kind, *rest in flat:
        if kind in ("add_table", "remove_table", "add_index", "remove_index"):
            found.append((kind, rest[0].name))
        elif kind in ("add_column", "remove_column"):
            found.append((kind, f"{rest[1]}.{rest[2].name}"))
        elif kind == "modify_type":
            found.append((kind, f"{rest[1]}.{rest[2]}"))
        else:
            found.append((kind, repr(rest)))
    return sorted(found)


async def test_schema_comparison_sees_real_differences(database_url: str) -> None:
    """The comparison above is not vacuous: drift in the database is reported."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(drift)
            differences = await connection.run_sync(schema_differences)
            await connection.rollback()
    finally:
        await engine.dispose()

    assert summary(differences) == [
        ("add_index", "ix_generations_status_lease"),
        ("modify_type", "playback_events.user_agent"),
        ("remove_column", "voices.extra"),
        ("remove_table", "stray"),
    ]
