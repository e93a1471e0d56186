"""Alembic migrations: they go up and down cleanly and build exactly `schema.metadata`."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    text,
    update,
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
    analytics,
    generations,
    mail_preferences,
    migrate,
    playback,
    schema,
)
from voiceqr.adapters.database.generations import SqlGenerations
from voiceqr.adapters.database.unit_of_work import create_engine
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.domain.shared.ids import uuid7

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
    # analytics: today's hours rolled up (0029)
    "analytics_account_hours",
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
        user = (await connection.execute(select(accounts.users))).one()._mapping
        sessions = (await connection.execute(select(accounts.sessions))).all()
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


async def test_0006_gives_every_generation_its_first_revision(
    empty_engine: AsyncEngine,
) -> None:
    """Existing generations get revision 1 from their own row: the made one with its
    audio (live), the failed one without; the downgrade gives the 0005 rows back."""
    await migrate.upgrade(empty_engine, "0005")
    old = MetaData()
    generations_0005 = Table(
        "generations",
        old,
        *(
            Column(c.name, c.type)
            for c in generations.generations.columns
            if "revision" not in c.name
        ),
    )
    owner_id, voice_id = uuid7(), uuid7()
    made_at = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    made, failed = uuid7(), uuid7()

    def row(generation_id: uuid.UUID, status: str, audio_key: str | None) -> dict[str, Any]:
        return {
            "id": generation_id,
            "owner_id": owner_id,
            "voice_id": voice_id,
            "text": f"{status} text",
            "public_code": generation_id.hex[-16:],
            "status": status,
            "attempts": 1,
            "audio_key": audio_key,
            "audio_bytes": 1234 if audio_key else None,
            "characters_billed": 0,
            "created_at": made_at,
            "completed_at": made_at if audio_key else None,
            "version": 1,
        }

    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(accounts.users).values(
                id=owner_id, email="ann@example.com", name="Ann", role="user", created_at=made_at
            )
        )
        await connection.execute(
            insert(generations_0005),
            [row(made, "completed", "audio/x/1.mp3"), row(failed, "failed", None)],
        )

    await migrate.upgrade(empty_engine, "0006")

    r, g = generations.generation_revisions.c, generations.generations.c
    async with empty_engine.connect() as connection:
        revisions = (
            await connection.execute(
                select(r.generation_id, r.number, r.text, r.audio_key, r.completed_at)
            )
        ).all()
        rows = (await connection.execute(select(g.id, g.revision, g.live_revision))).all()
    assert sorted(revisions) == sorted(
        [
            (made, 1, "completed text", "audio/x/1.mp3", made_at),
            (failed, 1, "failed text", None, None),
        ]
    )
    assert sorted(rows) == sorted([(made, 1, 1), (failed, 1, None)])

    await migrate.downgrade(empty_engine, "0005")
    async with empty_engine.connect() as connection:
        kept = (await connection.execute(select(generations_0005.c.audio_key))).scalars().all()
    assert sorted(kept, key=str) == sorted(["audio/x/1.mp3", None], key=str)


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


async def test_0007_indexes_the_text_of_generations_made_before_it(
    empty_engine: AsyncEngine,
) -> None:
    """The search index starts complete: generations older than the migration are found."""
    await migrate.upgrade(empty_engine, "0006")
    owner_id, moment = uuid7(), datetime(2026, 1, 2, tzinfo=UTC)
    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(accounts.users).values(
                id=owner_id, email="old@example.com", name="Old", role="user", created_at=moment
            )
        )
        await connection.execute(
            insert(generations.generations).values(
                id=uuid7(),
                owner_id=owner_id,
                voice_id=uuid7(),
                text="Written before search existed",
                public_code="old-code-1234",
                status="completed",
                created_at=moment,
            )
        )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        found = await SqlGenerations(connection).list_owned(
            owner_id, limit=5, matching=GenerationFilter(text="before sear")
        )
    assert [g.text for g in found] == ["Written before search existed"]


async def test_0024_moves_the_failure_mail_setting_to_the_notification_settings(
    empty_engine: AsyncEngine,
) -> None:
    """Yes becomes "each failure", no becomes "off"; the downgrade gives the yes/no back
    (a daily digest reads as yes: it is mail)."""
    await migrate.upgrade(empty_engine, "0021")
    preferences_0021 = Table(
        "user_preferences",
        MetaData(),
        Column("user_id", GUID),
        Column("email_generation_failed", Boolean),
    )
    settings = mail_preferences.notification_settings
    made_at = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    wants, quiet, digest = uuid7(), uuid7(), uuid7()
    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(accounts.users),
            [
                {
                    "id": u,
                    "email": f"{u.hex}@x.example",
                    "name": "A",
                    "role": "user",
                    "created_at": made_at,
                }
                for u in (wants, quiet, digest)
            ],
        )
        await connection.execute(
            insert(preferences_0021),
            [
                {"user_id": wants, "email_generation_failed": True},
                {"user_id": quiet, "email_generation_failed": False},
                {"user_id": digest, "email_generation_failed": True},
            ],
        )

    await migrate.upgrade(empty_engine, "0024")
    async with empty_engine.begin() as connection:
        chosen = dict(
            (
                await connection.execute(
                    select(settings.c.user_id, settings.c.generation_failed_mail)
                )
            )
            .tuples()
            .all()
        )
        await connection.execute(
            update(settings)
            .where(settings.c.user_id == digest)
            .values(generation_failed_mail="digest")
        )
    assert chosen == {wants: "each", quiet: "off", digest: "each"}

    await migrate.downgrade(empty_engine, "0021")
    async with empty_engine.connect() as connection:
        kept = dict((await connection.execute(select(preferences_0021))).tuples().all())
    assert kept == {wants: True, quiet: False, digest: True}


async def test_0013_sums_the_months_rolled_up_before_it(empty_engine: AsyncEngine) -> None:
    """Every month whose last day was rolled up gets its monthly rows from its days; the
    month in progress does not (the roll-up job makes it on its last day)."""
    await migrate.upgrade(empty_engine, "0012")
    owner_id, code_id, moment = uuid7(), uuid7(), datetime(2026, 1, 2, tzinfo=UTC)
    days = [date(2026, 1, 5), date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 2)]
    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(accounts.users).values(
                id=owner_id, email="old@example.com", name="Old", role="user", created_at=moment
            )
        )
        await connection.execute(
            insert(generations.generations).values(
                id=code_id,
                owner_id=owner_id,
                voice_id=uuid7(),
                text="Scanned before monthly roll-ups",
                public_code="old-code-1234",
                status="completed",
                created_at=moment,
            )
        )
        for n, day in enumerate(days, start=1):
            counts = {"scans": n, "listens": 10 * n, "visitors": n, "bots_left_out": 1}
            for dimension, value in (("total", ""), ("hour", "08")):
                row = {"owner_id": owner_id, "day": day, "dimension": dimension, "value": value}
                await connection.execute(
                    insert(analytics.analytics_daily).values(generation_id=code_id, **row, **counts)
                )
                await connection.execute(
                    insert(analytics.analytics_account_daily).values(**row, **counts)
                )
        await connection.execute(
            insert(analytics.analytics_state).values(name="rolled_through", day=date(2026, 3, 5))
        )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        found = []
        for table in (analytics.analytics_monthly, analytics.analytics_account_monthly):
            t = table.c
            rows = await connection.execute(
                select(t.month, t.dimension, t.value, t.scans, t.listens, t.bots_left_out)
                .where(t.owner_id == owner_id)
                .order_by(t.month, t.dimension, t.value)
            )
            found.append([tuple(row) for row in rows])
    # 5 January 2026 is a Monday, 31 January a Saturday and 1 February a Sunday.
    january, february = date(2026, 1, 1), date(2026, 2, 1)
    expected = [
        (january, "hour", "08", 3, 30, 2),
        (january, "total", "", 3, 30, 2),
        (january, "week_hour", "008", 1, 10, 1),
        (january, "week_hour", "508", 2, 20, 1),
        (february, "hour", "08", 3, 30, 1),
        (february, "total", "", 3, 30, 1),
        (february, "week_hour", "608", 3, 30, 1),
    ]
    assert found == [expected, expected]

    await migrate.downgrade(empty_engine, "0012")
    assert "analytics_monthly" not in await table_names(empty_engine)
