"""Migrations that carry data: rows written before a migration come out of it (and back
down again) as the product expects."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Boolean, Column, MetaData, String, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.database.shared.test_migrations import (  # noqa: F401
    empty_engine,
    table_names,
)
from voiceqr.adapters.database import (
    accounts,
    analytics_tables,
    generations,
    mail_preferences,
    migrate,
    playback,
)
from voiceqr.adapters.database.generations import SqlGenerations
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.analytics.ports import TallyQuery
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import Dimension, Tally
from voiceqr.domain.shared.ids import uuid7


async def test_0002_keeps_accounts_verified_and_signs_everyone_out(
    empty_engine: AsyncEngine,  # noqa: F811
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
    empty_engine: AsyncEngine,  # noqa: F811
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


async def test_0007_indexes_the_text_of_generations_made_before_it(
    empty_engine: AsyncEngine,  # noqa: F811
) -> None:
    """The search index starts complete: generations older than the migration are found."""
    await migrate.upgrade(empty_engine, "0006")
    owner_id = await old_generation(empty_engine, text="Written before search existed")

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        found = await SqlGenerations(connection).list_owned(
            owner_id, limit=5, matching=GenerationFilter(text="before sear")
        )
    assert [g.text for g in found] == ["Written before search existed"]


async def test_0024_moves_the_failure_mail_setting_to_the_notification_settings(
    empty_engine: AsyncEngine,  # noqa: F811
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


async def test_0013_sums_the_months_rolled_up_before_it(
    empty_engine: AsyncEngine,  # noqa: F811
) -> None:
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
                    insert(analytics_tables.analytics_daily).values(
                        generation_id=code_id, **row, **counts
                    )
                )
                await connection.execute(
                    insert(analytics_tables.analytics_account_daily).values(**row, **counts)
                )
        await connection.execute(
            insert(analytics_tables.analytics_state).values(
                name="rolled_through", day=date(2026, 3, 5)
            )
        )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        found = []
        for table in (
            analytics_tables.analytics_monthly,
            analytics_tables.analytics_account_monthly,
        ):
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


async def test_0029_indexes_the_titles_of_generations_made_before_it(
    empty_engine: AsyncEngine,  # noqa: F811
) -> None:
    """The search by title starts complete, and the failure stamp starts empty."""
    await migrate.upgrade(empty_engine, "0028")
    owner_id = await old_generation(
        empty_engine, text="Written before titles were searched", title="Lighthouse tour"
    )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        repository = SqlGenerations(connection)
        found = await repository.list_owned(
            owner_id, limit=5, matching=GenerationFilter(text="lighth")
        )
        by_text = await repository.list_owned(
            owner_id, limit=5, matching=GenerationFilter(text="titles searched")
        )
    assert [g.title for g in found] == ["Lighthouse tour"]
    assert [g.title for g in by_text] == ["Lighthouse tour"]
    assert found[0].failure_notified_at is None


async def old_generation(engine: AsyncEngine, **columns: Any) -> uuid.UUID:
    """A completed generation (and its owner) written before a migration; the owner's id."""
    owner_id, moment = uuid7(), datetime(2026, 1, 2, tzinfo=UTC)
    async with engine.begin() as connection:
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
                public_code="old-code-1234",
                status="completed",
                created_at=moment,
                **columns,
            )
        )
    return owner_id


async def test_0031_forgets_the_hours_rolled_up_and_the_job_rolls_up_every_dimension_again(
    empty_engine: AsyncEngine,  # noqa: F811
) -> None:
    """Today's hours rolled up before (the hours only) are forgotten, so the reads count
    the raw events until the job rolls today's hours up again, every dimension; and
    back down, the hours are kept without the other dimensions."""
    await migrate.upgrade(empty_engine, "0030")
    owner_id = await old_generation(empty_engine, text="Welcome", title="")
    today = date(2026, 3, 10)
    midnight = datetime(2026, 3, 10, tzinfo=UTC)
    async with empty_engine.begin() as connection:
        code = (await connection.execute(select(generations.generations.c.id))).scalar_one()
        for n in range(12):
            await connection.execute(
                insert(playback.playback_events).values(
                    id=uuid7(),
                    generation_id=code,
                    kind="scan",
                    occurred_at=midnight + timedelta(minutes=50 * n),
                    visitor=f"v{n % 3}",
                    country="FR" if n % 2 else "DE",
                )
            )
        hours = analytics_tables.analytics_account_hours
        await connection.execute(
            insert(hours).values(owner_id=owner_id, day=today, dimension="hour", value="00")
        )
        await connection.execute(
            insert(analytics_tables.analytics_state).values(
                name="hours_rolled_until", day=today, until=midnight + timedelta(hours=1)
            )
        )

    await migrate.upgrade(empty_engine)

    async with empty_engine.connect() as connection:
        assert (await connection.execute(select(hours.c.day))).all() == []
        state = analytics_tables.analytics_state.c
        assert (await connection.execute(select(state.name))).all() == []
    uows = SqlUnitOfWorkFactory(empty_engine)
    query = TallyQuery(owner_id, Dimension.TOTAL, DateRange(today, today))
    async with uows() as uow:
        raw = await uow.analytics.raw_by(query, list(Dimension))
        await uow.analytics_rollups.roll_up_hours(midnight + timedelta(hours=6))
        await uow.commit()
    async with uows() as uow:
        recent = await uow.analytics.recent_by(query, list(Dimension))

    def ordered(found: dict[Dimension, list[Tally]]) -> dict[Dimension, list[Tally]]:
        return {d: sorted(tallies, key=lambda t: t.value) for d, tallies in found.items()}

    assert ordered(recent) == ordered(raw)
    async with empty_engine.connect() as connection:
        rolled = set((await connection.execute(select(hours.c.dimension).distinct())).scalars())
    assert rolled == {str(d) for d in Dimension}

    await migrate.downgrade(empty_engine, "0030")

    assert "analytics_hours" not in await table_names(empty_engine)
    async with empty_engine.connect() as connection:
        rolled = set((await connection.execute(select(hours.c.dimension).distinct())).scalars())
    assert rolled == {"hour"}
