"""Generations on fakes: requesting one, and reading them back (an owner's only); the fakes
keep the store's semantics. Processing is in test_generation_processing.py, lost workers
in test_generation_leases.py."""

from __future__ import annotations

import pytest

from tests.unit.fakes import FakeSpeech, Services, make_services
from tests.unit.generations.steps import TEXT, deliver_queued
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus, is_well_formed_public_code
from voiceqr.domain.shared.errors import Conflict, ErrorCategory, NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice

# --- requesting ------------------------------------------------------------------------


async def test_a_requested_generation_is_saved_pending_and_handed_to_the_queue(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=f"  {TEXT}\n", voice_id=voice.id)

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.PENDING
    assert stored.text == TEXT
    assert (stored.owner_id, stored.voice_id) == (owner.id, voice.id)
    assert stored.attempts == 0
    assert stored.created_at == stored.next_attempt_at == s.clock()
    assert len(stored.public_code) == 16
    assert is_well_formed_public_code(stored.public_code)
    assert stored.enqueued_at == s.clock()
    assert s.queue.enqueued == [generation.id]
    assert s.speech["espeak"].calls == []  # the audio is made in the background
    assert s.storage.objects == {}
    assert await s.generations.get_for_owner(owner, generation.id) == stored


async def test_each_generation_gets_its_own_code(s: Services, owner: User, voice: Voice) -> None:
    first = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    second = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    assert first.id != second.id
    assert first.public_code != second.public_code


async def test_broker_down_keeps_the_generation_pending_and_the_sweeper_hands_it_over_later(
    s: Services, owner: User, voice: Voice
) -> None:
    s.queue.down = True
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    assert s.db.generation(generation.id).status is GenerationStatus.PENDING
    assert s.db.generation(generation.id).enqueued_at is None
    assert await s.generations.sweep() == 0  # still down: nothing handed, nothing lost
    assert s.db.generation(generation.id).enqueued_at is None

    s.queue.down = False
    s.clock.advance(15)
    assert await s.generations.sweep() == 1
    assert s.queue.enqueued == [generation.id]
    assert s.db.generation(generation.id).enqueued_at == s.clock()
    assert await s.generations.sweep() == 0  # handed over recently: not again yet

    assert await deliver_queued(s) == ["completed"]
    assert s.db.generation(generation.id).status is GenerationStatus.COMPLETED


async def test_a_job_the_queue_lost_is_handed_over_again_after_a_while(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()  # the message vanished with the broker

    s.clock.advance(s.requeue_after.total_seconds() - 1)
    assert await s.generations.sweep() == 0
    s.clock.advance(2)
    assert await s.generations.sweep() == 1
    assert s.queue.enqueued == [generation.id]


async def test_a_failed_commit_saves_nothing_and_wakes_no_worker(
    s: Services, owner: User, voice: Voice
) -> None:
    s.uow.fail_commits = 1
    with pytest.raises(ConnectionError):
        await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    assert s.db.generations == {}
    assert s.queue.enqueued == []


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("blank text", "text_blank"),
        ("too long text", "text_too_long"),
        ("unknown voice", "unknown_voice"),
        ("unpublished voice", "unknown_voice"),
        ("voice of a provider not running here", "voice_unavailable"),
    ],
)
async def test_blank_or_too_long_text_and_unknown_or_unpublished_voice_are_refused_and_nothing_is_stored(  # noqa: E501
    case: str, code: str
) -> None:
    s = make_services(speech=[FakeSpeech("espeak", max_text_length=20)])
    owner = s.add_user()
    voice_id = s.add_voice("Alex").id
    text = "Twenty characters!!!"
    if case == "blank text":
        text = " \n\t "
    elif case == "too long text":
        text += "?"
    elif case == "unknown voice":
        voice_id = uuid7()
    elif case == "unpublished voice":
        voice_id = s.add_voice("Draft", published=False).id
    elif case == "voice of a provider not running here":
        voice_id = s.add_voice("Rachel", provider="elevenlabs").id

    with pytest.raises(ValidationError) as error:
        await s.generations.request(owner, text=text, voice_id=voice_id)

    assert error.value.code == code
    assert error.value.category is ErrorCategory.VALIDATION
    assert error.value.message  # something to show the user
    assert s.db.generations == {}
    assert s.queue.enqueued == []
    assert s.storage.objects == {}


async def test_text_exactly_at_the_voice_limit_is_accepted() -> None:
    s = make_services(speech=[FakeSpeech("espeak", max_text_length=20)])
    generation = await s.generations.request(
        s.add_user(), text="Twenty characters!!!", voice_id=s.add_voice().id
    )
    assert s.db.generation(generation.id).text == "Twenty characters!!!"


# --- reading -------------------------------------------------------------------------------


async def test_another_owners_generation_is_not_found(s: Services, voice: Voice) -> None:
    ann, bob = s.add_user("ann@example.com"), s.add_user("bob@example.com")
    generation = await s.generations.request(ann, text=TEXT, voice_id=voice.id)

    with pytest.raises(NotFound) as error:
        await s.generations.get_for_owner(bob, generation.id)
    assert error.value.code == "generation_not_found"
    with pytest.raises(NotFound):
        await s.generations.get_for_owner(ann, uuid7())
    assert await s.generations.list_for_owner(bob) == []
    assert [g.id for g in await s.generations.list_for_owner(ann)] == [generation.id]
    assert (await s.generations.get_for_owner(ann, generation.id)).id == generation.id


async def test_an_owner_sees_their_generations_newest_first(
    s: Services, owner: User, voice: Voice
) -> None:
    ids = []
    for n in range(4):
        ids.append((await s.generations.request(owner, text=f"Text {n}", voice_id=voice.id)).id)
        s.clock.advance(1)
    listed = await s.generations.list_for_owner(owner)
    assert [g.id for g in listed] == ids[::-1]
    assert [g.id for g in await s.generations.list_for_owner(owner, limit=2)] == ids[:1:-1]


async def test_a_pending_generation_has_no_audio_url(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    assert await s.generations.audio_url(generation) is None


# --- the fakes keep persistence semantics ---------------------------------------------------


async def test_fake_generation_updates_are_compare_and_set(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    async with s.uow() as uow:
        mine = await uow.generations.get(generation.id)
        theirs = await uow.generations.get(generation.id)
        assert mine is not None
        assert theirs is not None
        mine.claim(s.clock(), s.lease)
        await uow.generations.update(mine)
        assert mine.version == 1
        theirs.claim(s.clock(), s.lease)
        with pytest.raises(Conflict) as error:
            await uow.generations.update(theirs)
        assert error.value.code == "stale_generation"
        await uow.commit()
    assert s.db.generation(generation.id).version == 1


async def test_fake_unit_of_work_keeps_only_committed_writes(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    async with s.uow() as uow:
        loaded = await uow.generations.get(generation.id)
        assert loaded is not None
        loaded.claim(s.clock(), s.lease)
        await uow.generations.update(loaded)
        loaded.text = "changed after saving"  # callers never hold the stored object
        assert (await uow.generations.get(generation.id)).text == TEXT  # type: ignore[union-attr]
        # no commit
    assert s.db.generation(generation.id).status is GenerationStatus.PENDING
    assert s.db.generation(generation.id).version == 0
