"""Alembic migrations: they go up and down cleanly and build exactly `schema.metadata`.

TABLES is the one inventory of the tables the migrations make; what a migration does to
rows already there is tested in test_migrations_carrying_data.py."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    inspect,
    text,
)
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
from voiceqr.adapters.database import (
    accounts,
    generations,
    migrate,
    playback,
    schema,
)
from voiceqr.adapters.database.unit_of_work import create_engine

TABLES = {
    "users",
    # exporting and deleting accounts (0021)
    "account_deletions",
    "account_exports",
    "retired_codes",
    # content moderation (0025)
    "moderation_appeals",
    "moderation_cases",
    "moderation_decisions",
    "moderation_flags",
    "moderation_notes",
    "moderation_reports",
    # moderation automation (0026)
    "moderation_filter_terms",
    "moderation_rules",
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
    # generation revisions (0006)
    "generation_revisions",
    # folders and tags (0007)
    "folders",
    "tags",
    "generation_folders",
    "generation_tags",
    # audit log and failure alerts (0008)
    "audit_events",
    "alert_states",
    # periodic job schedules (0009)
    "job_schedules",
    # visitor-key salts (0010)
    "visitor_salts",
    # listen-through (0011)
    "listens",
    # analytics roll-ups (0012)
    "analytics_daily",
    "analytics_account_daily",
    "analytics_state",
    # analytics monthly roll-ups (0013)
    "analytics_monthly",
    "analytics_account_monthly",
    # analytics: today's hours rolled up (0030)
    "analytics_account_hours",
    # analytics: today's hours of every dimension, per code too (0031)
    "analytics_hours",
    # voice favorites and reviews (0017)
    "voice_favorites",
    "voice_reviews",
    # voice previews, to compare voices side by side (0018)
    "voice_previews",
    "voice_comparisons",
    # support tickets (0019)
    "support_tickets",
    "support_ticket_messages",
    # terms and privacy policy versions and their acceptances (0022)
    "legal_documents",
    "legal_acceptances",
    # QR designs: a generation's, and each user's default (0027)
    "generation_qr_designs",
    "default_qr_designs",
    # notification settings, in-app notices, the daily failure digest (0024)
    "notification_settings",
    "notices",
    "mail_digest_items",
}

# The text search index of 0007 is engine-specific DDL that `schema.metadata` cannot
# describe: SQLite's FTS5 table (and the shadow tables FTS5 keeps its index in) and
# PostgreSQL's GIN expression index. The comparison leaves exactly these out.
SEARCH_INDEX_TABLES = {
    "generations_fts",
    "generations_fts_data",
    "generations_fts_idx",
    "generations_fts_config",
}
# And the users' prefix indexes of 0020 (text_pattern_ops, NOCASE: engine-specific too).
SEARCH_INDEXES = {"ix_generations_text_search", "ix_users_email_prefix", "ix_users_name_prefix"}


def head_revision() -> str:
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def test_each_migration_says_what_changed_in_words() -> None:
    """Its first line is what a new data directory's first start prints: no feature ids
    such as "(G2)" or "(F4, F6)", which only the issue tracker knows."""
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    for revision in script.walk_revisions():
        message = (revision.doc or "").strip()
        assert message, revision.revision
        assert not re.search(r"\b[A-Z]{1,2}\d+\b", message), (revision.revision, message)


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


async def all_table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def table_names(engine: AsyncEngine) -> set[str]:
    """The tables, without the search index's own (see SEARCH_INDEX_TABLES)."""
    return await all_table_names(engine) - SEARCH_INDEX_TABLES


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


def include_name(name: str | None, type_: str, _parents: dict[str, str | None]) -> bool:
    if type_ == "table":
        return name not in SEARCH_INDEX_TABLES
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": compare_type, "include_name": include_name}
    )
    return list(compare_metadata(context, schema.metadata))


async def test_upgrade_downgrade_upgrade(empty_engine: AsyncEngine) -> None:
    assert await migrate.current(empty_engine) is None
    assert await table_names(empty_engine) == set()

    await migrate.upgrade(empty_engine)
    assert await migrate.current(empty_engine) == head_revision()
    assert await table_names(empty_engine) == TABLES | {"alembic_version"}

    if empty_engine.dialect.name == "sqlite":
        assert await all_table_names(empty_engine) >= SEARCH_INDEX_TABLES

    await migrate.downgrade(empty_engine, "base")
    assert await migrate.current(empty_engine) is None
    assert await all_table_names(empty_engine) <= {"alembic_version"}

    await migrate.upgrade(empty_engine)
    assert await migrate.current(empty_engine) == head_revision()
    assert await table_names(empty_engine) == TABLES | {"alembic_version"}
    async with empty_engine.connect() as connection:
        assert await connection.run_sync(schema_differences) == []


def test_the_newest_revision_read_from_the_scripts_is_alembics_head() -> None:
    assert migrate.shipped_head() == head_revision()


async def test_a_database_already_up_to_date_starts_without_running_alembic(
    empty_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate.upgrade(empty_engine)
    from alembic import command

    def no_alembic(*_: object) -> None:
        raise AssertionError("Alembic ran for a database already at the head")

    monkeypatch.setattr(command, "upgrade", no_alembic)

    await migrate.upgrade(empty_engine)  # a restart
    assert await migrate.current(empty_engine) == head_revision()


async def test_a_database_behind_the_head_is_still_upgraded_by_alembic(
    empty_engine: AsyncEngine,
) -> None:
    await migrate.upgrade(empty_engine, "0026")

    await migrate.upgrade(empty_engine)

    assert await migrate.current(empty_engine) == head_revision()


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
    copy = MetaData(naming_convention=schema.metadata.naming_convention)
    for table in (accounts.users, generations.generations):
        table.to_metadata(copy)
    events = playback.playback_events.to_metadata(copy)
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
