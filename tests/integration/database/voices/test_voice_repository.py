"""The voices repository, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from uuid import UUID

from sqlalchemy import update

from tests.integration.database.rows import NOW
from voiceqr.adapters.database import voices
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample


def make_voice(name: str = "Aria", *, priority: int = 0, published: bool = True) -> Voice:
    return Voice(
        id=uuid7(),
        name=name,
        provider="espeak",
        provider_voice_id=f"en-{name.lower()}",
        description="A calm narrator",
        type="narration",
        language="en",
        region="GB",
        age="adult",
        style="calm",
        samples=[VoiceSample(id=uuid7(), key=f"voices/{name}/1.mp3")],
        published=published,
        priority=priority,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_voice_round_trips_with_samples(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice("Ünïcode")
    voice.samples = [
        VoiceSample(id=uuid7(), key="voices/a/1.mp3", label="Calm ☕", duration_ms=2500),
        VoiceSample(id=uuid7(), key="voices/a/2.mp3"),
    ]
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
        assert await uow.voices.get(uuid7()) is None
        assert await uow.voices.count() == 1

    assert loaded == voice
    assert loaded is not None
    assert [(s.id, s.key, s.label, s.duration_ms) for s in loaded.samples] == [
        (voice.samples[0].id, "voices/a/1.mp3", "Calm ☕", 2500),
        (voice.samples[1].id, "voices/a/2.mp3", "Sample", 0),
    ]


async def test_voice_update_keeps_created_at(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice(published=False)
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    changed = dataclasses.replace(
        voice,
        name="Renamed",
        description="Brighter",
        samples=[],
        published=True,
        priority=9,
        created_at=NOW + timedelta(days=1),
        updated_at=NOW + timedelta(hours=1),
    )
    async with uows() as uow:
        await uow.voices.update(changed)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
    assert loaded == dataclasses.replace(changed, created_at=NOW)


async def test_voice_delete(uows: SqlUnitOfWorkFactory) -> None:
    kept, gone = make_voice("Kept"), make_voice("Gone")
    async with uows() as uow:
        await uow.voices.add(kept)
        await uow.voices.add(gone)
        await uow.commit()

    async with uows() as uow:
        await uow.voices.delete(gone.id)
        await uow.voices.delete(uuid7())  # absent: not an error
        await uow.commit()

    async with uows() as uow:
        assert await uow.voices.get(gone.id) is None
        assert await uow.voices.get(kept.id) == kept
        assert await uow.voices.count() == 1


async def test_voice_list_orders_by_priority_then_name(uows: SqlUnitOfWorkFactory) -> None:
    voices = [
        make_voice("Bravo", priority=1),
        make_voice("Zulu", priority=5),
        make_voice("Alpha", priority=1, published=False),
        make_voice("Charlie", priority=0),
        make_voice("Delta", priority=-3, published=False),
    ]
    async with uows() as uow:
        for voice in voices:
            await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        every = await uow.voices.list(published_only=False)
        published = await uow.voices.list(published_only=True)

    assert [v.name for v in every] == ["Zulu", "Alpha", "Bravo", "Charlie", "Delta"]
    assert [v.name for v in published] == ["Zulu", "Bravo", "Charlie"]
    assert every[0] == voices[1]


async def test_samples_stored_before_they_had_ids_are_read_with_one(
    uows: SqlUnitOfWorkFactory,
) -> None:
    voice = make_voice("Legacy")
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()
    async with uows.engine.begin() as connection:  # a row as the first release wrote it
        await connection.execute(
            update(voices.voices)
            .where(voices.voices.c.id == voice.id)
            .values(samples=[{"key": "samples/legacy/1.mp3", "label": "Old"}])
        )

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
    assert loaded is not None
    [sample] = loaded.samples
    assert (sample.key, sample.label, sample.duration_ms) == ("samples/legacy/1.mp3", "Old", 0)
    assert isinstance(sample.id, UUID)
