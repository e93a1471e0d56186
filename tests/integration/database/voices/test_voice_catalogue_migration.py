"""The voice catalogue's migration keeps every voice readable: samples get ids, a name
two voices of one provider shared is told apart, and the downgrade gives the old rows
back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.database.shared.test_migrations import empty_engine  # noqa: F401
from voiceqr.adapters.database import migrate
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.shared.ids import uuid7

MADE = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)

voices_0015 = Table(
    "voices",
    MetaData(),
    Column("id", GUID, primary_key=True),
    Column("name", String(100)),
    Column("provider", String(30)),
    Column("provider_voice_id", String(200)),
    Column("samples", JsonB),
    Column("published", Boolean),
    Column("priority", Integer),
    Column("created_at", DateTimeUTC),
    Column("updated_at", DateTimeUTC),
)


async def test_0016_gives_samples_ids_and_voices_unique_names(
    empty_engine: AsyncEngine,  # noqa: F811
) -> None:
    await migrate.upgrade(empty_engine, "0015")
    first, twin, elsewhere = uuid7(), uuid7(), uuid7()

    def row(
        voice_id: object, name: str, provider: str, n: int, **more: object
    ) -> dict[str, object]:
        return {
            "id": voice_id,
            "name": name,
            "provider": provider,
            "provider_voice_id": "en-us",
            "samples": [{"key": f"samples/{n}.mp3", "label": "Calm"}],
            "published": True,
            "priority": 5,
            "created_at": MADE + timedelta(minutes=n),
            "updated_at": MADE,
            **more,
        }

    async with empty_engine.begin() as connection:
        await connection.execute(
            insert(voices_0015),
            [
                row(first, "Sam", "espeak", 1),
                row(twin, "SAM", "espeak", 2, priority=2**31 - 1),
                row(elsewhere, "Sam", "elevenlabs", 3, priority=-(2**31)),
            ],
        )

    await migrate.upgrade(empty_engine)

    uows = SqlUnitOfWorkFactory(empty_engine)
    async with uows() as uow:
        by_id = {v.id: v for v in await uow.voices.list(published_only=False)}
    assert by_id[first].name == "Sam"
    assert by_id[twin].name == "SAM (2)"  # the later one is renamed
    assert by_id[elsewhere].name == "Sam"  # another provider may use the name
    assert (by_id[twin].priority, by_id[elsewhere].priority) == (1_000_000, -1_000_000)
    (sample,) = by_id[first].samples
    assert (sample.key, sample.label, sample.duration_ms) == ("samples/1.mp3", "Calm", 0)
    assert sample.id != by_id[twin].samples[0].id
    assert by_id[first].use_cases == by_id[first].tags == ()
    assert by_id[first].created_by is None

    await migrate.downgrade(empty_engine, "0015")
    async with empty_engine.connect() as connection:
        samples = (
            await connection.execute(select(voices_0015.c.samples).where(voices_0015.c.id == first))
        ).scalar_one()
    assert samples == [{"key": "samples/1.mp3", "label": "Calm"}]
