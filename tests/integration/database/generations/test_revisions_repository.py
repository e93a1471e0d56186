"""The revisions of generations (G3) and the generation's revision columns, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.generations.generations import first_revision
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7


async def test_revisions_are_stored_numbered_once_and_listed_newest_first(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id, created_at=NOW)
    await add_generations(uows, generation)
    first = first_revision(generation)
    second = GenerationRevision(
        id=uuid7(),
        generation_id=generation.id,
        number=2,
        text="Hello again",
        voice_id=uuid7(),
        created_at=NOW + timedelta(minutes=1),
    )
    async with uows() as uow:
        await uow.generation_revisions.add(first)
        await uow.generation_revisions.add(second)
        # The same number twice is refused, and the transaction goes on.
        with pytest.raises(Conflict):
            await uow.generation_revisions.add(
                GenerationRevision(
                    id=uuid7(),
                    generation_id=generation.id,
                    number=2,
                    text="Twice",
                    voice_id=uuid7(),
                    created_at=NOW,
                )
            )
        second.complete(audio_key="audio/x/2.mp3", audio_bytes=42, now=NOW + timedelta(minutes=2))
        await uow.generation_revisions.update(second)
        generation.revision, generation.live_revision = 2, 2
        await uow.generations.update(generation)
        await uow.commit()

    async with uows() as uow:
        listed = await uow.generation_revisions.list_for(generation.id)
        found = await uow.generation_revisions.get(generation.id, 2)
        missing = await uow.generation_revisions.get(generation.id, 3)
        stored = await uow.generations.get(generation.id)
    assert listed == [second, first]
    assert found == second
    assert found.audio_key == "audio/x/2.mp3"
    assert missing is None
    assert stored is not None
    assert (stored.revision, stored.live_revision) == (2, 2)
