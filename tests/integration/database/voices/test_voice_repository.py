"""The voices repository, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.playback.events import Device, PlaybackEvent, PlaybackEventKind, StoredEvent
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.voice import Editor, Voice, VoiceSample


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
    first, second = uuid7(), uuid7()
    voice.samples = [
        VoiceSample(id=first, key="voices/a/1.mp3", label="Calm ☕", duration_ms=2500),
        VoiceSample(id=second, key="voices/a/2.mp3"),
    ]
    voice.accent = "Received Pronunciation"
    voice.use_cases = ("museum-guide", "narration")
    voice.tags = ("calm", "été")
    voice.categories = ("premium",)
    voice.created_by = Editor(uuid7(), "Ada Admin")
    voice.updated_by = Editor(None, "cli")
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
        assert await uow.voices.get(uuid7()) is None
        assert await uow.voices.count() == 1

    assert loaded == voice
    assert loaded is not None
    assert loaded.samples == [
        VoiceSample(id=first, key="voices/a/1.mp3", label="Calm ☕", duration_ms=2500),
        VoiceSample(id=second, key="voices/a/2.mp3", label="Sample", duration_ms=0),
    ]
    assert loaded.created_by == Editor(voice.created_by.id, "Ada Admin")


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


async def test_voice_update_keeps_who_made_it(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice()
    voice.created_by = voice.updated_by = Editor(uuid7(), "Maker")
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    changed = dataclasses.replace(
        voice, created_by=Editor(uuid7(), "Impostor"), updated_by=Editor(uuid7(), "Editor")
    )
    async with uows() as uow:
        await uow.voices.update(changed)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
    assert loaded is not None
    assert loaded.created_by == voice.created_by
    assert loaded.updated_by == changed.updated_by


async def test_names_are_unique_per_provider_in_any_case(uows: SqlUnitOfWorkFactory) -> None:
    sam = make_voice("Sam")
    other = make_voice("Alex")
    async with uows() as uow:
        await uow.voices.add(sam)
        await uow.voices.add(other)
        await uow.commit()

    async with uows() as uow:
        with pytest.raises(Conflict) as error:
            await uow.voices.add(make_voice("SAM"))
        assert error.value.code == "voice_name_taken"
        with pytest.raises(Conflict):
            await uow.voices.update(dataclasses.replace(other, name="sAm"))
        # The refusal leaves the unit of work usable (a savepoint on PostgreSQL).
        elsewhere = dataclasses.replace(make_voice("Sam"), provider="elevenlabs")
        await uow.voices.add(elsewhere)
        await uow.voices.update(dataclasses.replace(sam, name="SAM"))  # its own name
        await uow.commit()

    async with uows() as uow:
        names = sorted((v.provider, v.name) for v in await uow.voices.list(published_only=False))
    assert names == [("elevenlabs", "Sam"), ("espeak", "Alex"), ("espeak", "SAM")]


async def test_popularity_counts_generations_and_the_listens_of_their_codes(
    uows: SqlUnitOfWorkFactory,
) -> None:
    used, unused, elsewhere = make_voice("Used"), make_voice("Unused"), make_voice("Else")
    owner = await add_user(uows)
    first = make_generation(owner.id, voice_id=used.id)
    second = make_generation(owner.id, voice_id=used.id)
    deleted = make_generation(owner.id, voice_id=used.id, deleted_at=NOW)
    other = make_generation(owner.id, voice_id=elsewhere.id)
    await add_generations(uows, first, second, deleted, other)

    def event(generation_id: UUID, kind: PlaybackEventKind, **how: Any) -> StoredEvent:
        device = Device(bot=how.pop("bot", False))
        return StoredEvent(
            PlaybackEvent(uuid7(), generation_id, kind, NOW, **how),
            device=device,
            new_visit=True,
        )

    listen, scan = PlaybackEventKind.LISTEN, PlaybackEventKind.SCAN
    async with uows() as uow:
        await uow.playback_events.add_many(
            [
                event(first.id, listen),
                event(first.id, listen),
                event(second.id, listen),
                event(second.id, scan),
                event(second.id, listen, bot=True),  # bots are not counted
                event(second.id, listen, owner_view=True),  # nor the owner
                event(deleted.id, listen),  # nor a deleted generation
                event(other.id, listen),
            ]
        )
        await uow.commit()

    async with uows() as uow:
        found = await uow.voices.popularity([used.id, unused.id, elsewhere.id])
        assert await uow.voices.popularity([]) == {}

    assert found == {
        used.id: Popularity(uses=2, listens=3),
        unused.id: Popularity(),
        elsewhere.id: Popularity(uses=1, listens=1),
    }
