"""G1 history (keyset pages, filters) and G2 delete, on in-memory fakes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.unit.fakes import Services, SpeechCall, make_services
from voiceqr.application.generations.generations import decode_cursor, encode_cursor
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.playback.playback import Visit
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.errors import IllegalTransition, NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def make(s: Services, owner: User, voice: Voice, n: int) -> list[Generation]:
    made = []
    for i in range(n):
        made.append(await s.generations.request(owner, text=f"text {i}", voice_id=voice.id))
        s.clock.advance(1)
    return made


async def test_pages_walk_the_whole_history_newest_first_without_gaps(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await make(s, owner, voice, 7)
    seen, cursor = [], None
    while True:
        page = await s.generations.history(owner, cursor=cursor, limit=3)
        seen += [g.id for g in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [g.id for g in reversed(made)]


async def test_a_new_generation_does_not_shift_later_pages(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await make(s, owner, voice, 4)
    first = await s.generations.history(owner, limit=2)
    await make(s, owner, voice, 1)  # arrives between the two fetches
    second = await s.generations.history(owner, cursor=first.next_cursor, limit=2)
    assert [g.id for g in second.items] == [made[1].id, made[0].id]
    assert second.next_cursor is None


async def test_ties_on_created_at_are_broken_by_id(s: Services, owner: User, voice: Voice) -> None:
    made = [await s.generations.request(owner, text=f"t{i}", voice_id=voice.id) for i in range(5)]
    seen = []
    page = await s.generations.history(owner, limit=2)
    seen += page.items
    while page.next_cursor:
        page = await s.generations.history(owner, cursor=page.next_cursor, limit=2)
        seen += page.items
    assert sorted(g.id for g in seen) == sorted(g.id for g in made)
    assert len(seen) == 5


async def test_filters_combine_and_never_show_another_owner(
    s: Services, owner: User, voice: Voice
) -> None:
    other_voice = s.add_voice("Bea")
    stranger = s.add_user("bob@example.com")
    early = await s.generations.request(owner, text="early", voice_id=voice.id)
    s.clock.advance(hours=1)
    late = await s.generations.request(owner, text="late", voice_id=voice.id)
    other = await s.generations.request(owner, text="other", voice_id=other_voice.id)
    await s.generations.request(stranger, text="not ann's", voice_id=voice.id)

    async def ids(**f: Any) -> set[UUID]:
        page = await s.generations.history(owner, matching=GenerationFilter(**f))
        return {g.id for g in page.items}

    assert await ids() == {early.id, late.id, other.id}
    assert await ids(voice_id=voice.id) == {early.id, late.id}
    assert await ids(voice_id=voice.id, created_from=late.created_at) == {late.id}
    assert await ids(created_to=late.created_at) == {early.id}
    assert await ids(status=GenerationStatus.PENDING) == {early.id, late.id, other.id}
    assert await ids(status=GenerationStatus.COMPLETED) == set()


async def test_bad_limits_dates_and_cursors_are_validation_errors(s: Services, owner: User) -> None:
    with pytest.raises(ValidationError):
        await s.generations.history(owner, limit=0)
    now = s.clock()
    with pytest.raises(ValidationError, match="earlier"):
        await s.generations.history(
            owner, matching=GenerationFilter(created_from=now, created_to=now - timedelta(1))
        )
    for tampered in (
        "not-a-cursor!",
        "Zm9vYmFy",
        encode_cursor(HistoryPosition(now, uuid7()))[:-3],
    ):
        with pytest.raises(ValidationError) as caught:
            await s.generations.history(owner, cursor=tampered)
        assert caught.value.code == "invalid_cursor"


def test_a_cursor_round_trips() -> None:
    position = HistoryPosition(
        created_at=make_services().clock() + timedelta(microseconds=7), id=uuid7()
    )
    assert decode_cursor(encode_cursor(position)) == position


async def test_delete_removes_audio_hides_the_generation_and_keeps_a_tombstone(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="bye", voice_id=voice.id)
    await s.generations.process(generation.id)
    key = s.db.generation(generation.id).audio_key
    assert key in s.storage.objects

    await s.generations.delete(owner, generation.id)

    assert key not in s.storage.objects
    stored = s.db.generation(generation.id)
    assert stored.deleted_at == s.clock()
    assert (await s.generations.history(owner)).items == []
    with pytest.raises(NotFound):
        await s.generations.get_for_owner(owner, generation.id)
    with pytest.raises(NotFound):  # twice: not found the second time
        await s.generations.delete(owner, generation.id)
    with pytest.raises(NotFound) as gone:
        await s.playback.page(generation.public_code)
    assert gone.value.code == "audio_removed"
    with pytest.raises(NotFound):
        await s.playback.record_listen(generation.public_code, Visit())


async def test_another_users_generation_cannot_be_deleted(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="mine", voice_id=voice.id)
    with pytest.raises(NotFound):
        await s.generations.delete(s.add_user("bob@example.com"), generation.id)
    assert s.db.generation(generation.id).deleted_at is None


async def test_a_deleted_pending_generation_is_never_processed_or_requeued(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="never", voice_id=voice.id)
    await s.generations.delete(owner, generation.id)
    outcome = await s.generations.process(generation.id)
    assert outcome.action == "skipped"
    assert s.speech["espeak"].calls == []
    s.queue.take()
    s.clock.advance(hours=1)
    assert await s.generations.sweep() == 0


async def test_a_worker_finishing_a_deleted_generation_throws_its_audio_away(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text="racing", voice_id=voice.id)

    async def delete_meanwhile(call: SpeechCall) -> None:
        await s.generations.delete(owner, generation.id)

    s.speech["espeak"].on_call = delete_meanwhile
    outcome = await s.generations.process(generation.id)
    assert outcome.action == "skipped"
    assert s.storage.objects == {}
    assert s.db.generation(generation.id).audio_key is None


def test_the_domain_refuses_a_second_delete(s: Services, owner: User, voice: Voice) -> None:
    generation = Generation(
        id=uuid7(),
        owner_id=owner.id,
        voice_id=voice.id,
        text="x",
        public_code="abcdefghijkl",
        created_at=s.clock(),
    )
    generation.delete(s.clock())
    assert not generation.is_due(s.clock())
    with pytest.raises(IllegalTransition):
        generation.delete(s.clock())
