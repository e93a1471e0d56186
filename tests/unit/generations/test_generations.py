"""Generations (C2) end to end on fakes: request, background processing, retries, recovery."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from tests.unit.fakes import FakeSpeech, Services, SpeechCall, make_services
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import (
    Generation,
    GenerationStatus,
    RetryPolicy,
    is_well_formed_public_code,
)
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice

TEXT = "Happy birthday, Grandma! Scan me."


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex", provider_voice_id="en-us")


def busy() -> SpeechError:
    return SpeechError(
        "The speech service is busy; it will be tried again.",
        category=ErrorCategory.PROVIDER,
        code="provider_busy",
        retryable=True,
        detail="HTTP 503",
    )


async def claim_and_vanish(s: Services, generation_id: UUID) -> Generation:
    """A worker claims the job (as `process` does: lease and attempt) and then dies
    without a word."""
    async with s.uow() as uow:
        generation = await uow.generations.get(generation_id)
        assert generation is not None
        generation.claim(s.clock(), s.lease)
        await uow.generations.update(generation)
        history = await uow.generation_attempts.list_for(generation_id)
        await uow.generation_attempts.add(
            GenerationAttempt(
                id=uuid7(),
                generation_id=generation_id,
                number=len(history) + 1,
                started_at=s.clock(),
                revision=generation.revision,
            )
        )
        await uow.commit()
    return generation


async def deliver_queued(s: Services) -> list[str]:
    """A worker consuming everything the queue holds; the actions taken."""
    return [(await s.generations.process(gid)).action for gid in s.queue.take()]


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


# --- processing ------------------------------------------------------------------------


async def test_processing_stores_mp3_and_completes(s: Services, owner: User, voice: Voice) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.clock.advance(3)

    outcome = await s.generations.process(generation.id)

    assert outcome.action == "completed"
    assert outcome.generation_id == generation.id
    stored = s.db.generation(generation.id)
    key = f"audio/{generation.id}/1.mp3"
    assert stored.status is GenerationStatus.COMPLETED
    assert stored.attempts == 1
    assert stored.audio_key == key
    assert s.storage.objects[key].data == FakeSpeech.default_audio(TEXT)
    assert s.storage.objects[key].content_type == "audio/mpeg"
    assert stored.audio_bytes == len(FakeSpeech.default_audio(TEXT))
    assert stored.completed_at == s.clock()
    assert stored.lease_expires_at is None
    assert stored.error_code is None
    assert s.speech["espeak"].calls == [
        SpeechCall(text=TEXT, voice_id=voice.id, provider_voice_id="en-us")
    ]
    assert await s.generations.audio_url(stored) == f"/media/{key}"


async def test_characters_billed_by_the_provider_are_recorded(
    s: Services, owner: User, voice: Voice
) -> None:
    s.speech["espeak"].then(SpeechResult(b"ID3 mp3", characters_billed=33))
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).characters_billed == 33


async def test_retryable_provider_error_schedules_a_backed_off_retry_then_succeeds(
    s: Services, owner: User, voice: Voice
) -> None:
    s.speech["espeak"].then(busy())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()
    failed_at = s.clock()

    assert (await s.generations.process(generation.id)).action == "retry_scheduled"

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.PENDING
    assert stored.attempts == 1
    assert (stored.error_category, stored.error_code) == (ErrorCategory.PROVIDER, "provider_busy")
    assert stored.error_message == "The speech service is busy; it will be tried again."
    assert stored.next_attempt_at is not None
    base = s.retry_policy.base_seconds
    assert failed_at + timedelta(seconds=base * 0.8) <= stored.next_attempt_at
    assert stored.next_attempt_at <= failed_at + timedelta(seconds=base * 1.2)
    assert s.storage.objects == {}

    # Too early: a duplicate delivery and the sweeper both leave it alone.
    assert (await s.generations.process(generation.id)).action == "skipped"
    assert await s.generations.sweep() == 0

    s.clock.set(stored.next_attempt_at)
    assert await s.generations.sweep() == 1
    assert await deliver_queued(s) == ["completed"]

    done = s.db.generation(generation.id)
    assert done.status is GenerationStatus.COMPLETED
    assert done.attempts == 2
    assert done.audio_key == f"audio/{generation.id}/2.mp3"
    assert (done.error_category, done.error_code, done.error_message) == (None, None, None)
    assert list(s.storage.objects) == [done.audio_key]
    assert len(s.speech["espeak"].calls) == 2


async def test_a_provider_asking_to_wait_is_not_retried_sooner(
    s: Services, owner: User, voice: Voice
) -> None:
    s.speech["espeak"].then(
        SpeechError(
            "Too many requests.",
            category=ErrorCategory.QUOTA,
            code="rate_limited",
            retryable=True,
            retry_after=900,
        )
    )
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).next_attempt_at == s.clock() + timedelta(seconds=900)


async def test_final_error_fails_at_once_with_category_code_and_user_message(
    s: Services, owner: User, voice: Voice
) -> None:
    s.speech["espeak"].then(
        SpeechError(
            "Your speech credit is used up.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
            detail="HTTP 401 quota_exceeded from the provider",
        )
    )
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()

    assert (await s.generations.process(generation.id)).action == "failed"

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.FAILED
    assert stored.attempts == 1
    assert stored.error_category is ErrorCategory.QUOTA
    assert stored.error_code == "quota_exceeded"
    assert stored.error_message == "Your speech credit is used up."
    assert stored.error_detail is not None
    assert "HTTP 401 quota_exceeded from the provider" in stored.error_detail
    assert stored.next_attempt_at is None
    assert s.storage.objects == {}

    s.clock.advance(hours=24)
    assert await s.generations.sweep() == 0
    assert (await s.generations.process(generation.id)).action == "skipped"
    assert len(s.speech["espeak"].calls) == 1


async def test_a_generation_fails_for_good_when_its_attempts_are_used_up() -> None:
    s = make_services(retry_policy=RetryPolicy(max_attempts=3, base_seconds=10))
    s.speech["espeak"].then(busy(), busy(), busy())
    generation = await s.generations.request(s.add_user(), text=TEXT, voice_id=s.add_voice().id)

    actions = []
    for _ in range(3):
        actions += await deliver_queued(s)
        s.clock.advance(hours=1)
        await s.generations.sweep()
    assert actions == ["retry_scheduled", "retry_scheduled", "failed"]
    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.FAILED
    assert stored.attempts == 3
    assert stored.error_code == "provider_busy"
    assert s.queue.enqueued == []


async def test_an_unexpected_crash_is_recorded_as_a_retryable_system_error(
    s: Services, owner: User, voice: Voice
) -> None:
    s.speech["espeak"].then(RuntimeError("segfault in libespeak: 0xdeadbeef"))
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    assert (await s.generations.process(generation.id)).action == "retry_scheduled"

    stored = s.db.generation(generation.id)
    assert stored.error_category is ErrorCategory.SYSTEM
    assert stored.error_code == "unexpected_error"
    assert stored.error_message is not None
    assert "0xdeadbeef" not in stored.error_message  # technical details are for admins only
    assert stored.error_detail is not None
    assert "0xdeadbeef" in stored.error_detail


async def test_storage_failure_is_retried_with_category_storage(
    s: Services, owner: User, voice: Voice
) -> None:
    s.storage.fail_puts = 1
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()

    assert (await s.generations.process(generation.id)).action == "retry_scheduled"

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.PENDING
    assert stored.error_category is ErrorCategory.STORAGE
    assert stored.error_code == "storage_failed"
    assert s.storage.objects == {}

    assert stored.next_attempt_at is not None
    s.clock.set(stored.next_attempt_at)
    await s.generations.sweep()
    assert await deliver_queued(s) == ["completed"]
    assert s.db.generation(generation.id).audio_key == f"audio/{generation.id}/2.mp3"
    assert s.storage.puts == [f"audio/{generation.id}/1.mp3", f"audio/{generation.id}/2.mp3"]


async def test_a_second_delivery_of_a_finished_job_does_nothing(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    assert (await s.generations.process(generation.id)).action == "completed"
    finished = s.db.generation(generation.id)

    s.clock.advance(60)
    assert (await s.generations.process(generation.id)).action == "skipped"

    assert s.db.generation(generation.id) == finished
    assert len(s.speech["espeak"].calls) == 1
    assert len(s.storage.puts) == 1


async def test_processing_an_unknown_id_does_nothing(s: Services) -> None:
    assert (await s.generations.process(uuid7())).action == "skipped"
    assert s.speech["espeak"].calls == []


async def test_a_voice_removed_after_the_request_fails_the_generation_for_good(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    del s.db.voices[voice.id]

    await s.generations.process(generation.id)

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.FAILED
    assert stored.error_code == "voice_deleted"
    assert stored.error_category is ErrorCategory.VALIDATION
    assert s.speech["espeak"].calls == []


# --- lost workers and leases ---------------------------------------------------------------


async def test_an_expired_lease_is_given_back_and_completed_exactly_once(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()
    await claim_and_vanish(s, generation.id)

    # While the lease runs, nobody else may take the job.
    assert (await s.generations.process(generation.id)).action == "skipped"
    s.clock.advance(s.lease.total_seconds() - 1)
    assert await s.generations.sweep() == 0
    assert s.db.generation(generation.id).status is GenerationStatus.PROCESSING

    s.clock.advance(1)
    # The sweep that takes the job back also hands it to a worker: no backoff for a lost worker.
    assert await s.generations.sweep() == 1
    recovered = s.db.generation(generation.id)
    assert recovered.status is GenerationStatus.PENDING
    assert recovered.attempts == 1
    assert recovered.error_code == "worker_lost"
    assert recovered.error_category is ErrorCategory.SYSTEM
    assert recovered.lease_expires_at is None

    assert await deliver_queued(s) == ["completed"]
    assert (await s.generations.process(generation.id)).action == "skipped"
    assert await s.generations.sweep() == 0

    done = s.db.generation(generation.id)
    assert done.status is GenerationStatus.COMPLETED
    assert done.attempts == 2
    assert done.audio_key == f"audio/{generation.id}/2.mp3"
    assert list(s.storage.objects) == [done.audio_key]
    assert len(s.speech["espeak"].calls) == 1


async def test_a_lost_job_without_attempts_left_fails_with_worker_lost() -> None:
    s = make_services(retry_policy=RetryPolicy(max_attempts=1))
    generation = await s.generations.request(s.add_user(), text=TEXT, voice_id=s.add_voice().id)
    s.queue.take()
    await claim_and_vanish(s, generation.id)

    s.clock.advance(s.lease.total_seconds() + 1)
    assert await s.generations.sweep() == 0

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.FAILED
    assert stored.error_code == "worker_lost"
    assert s.queue.enqueued == []


async def test_late_worker_after_lease_expiry_does_not_overwrite(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()
    second_worker: list[str] = []

    async def stall(call: SpeechCall) -> None:
        # The first worker stalls in the provider past its lease; meanwhile the sweeper
        # gives the job back and a second worker does it from start to finish.
        if second_worker:
            return
        second_worker.append("started")
        s.clock.advance(s.lease.total_seconds() + 1)
        await s.generations.sweep()
        s.clock.advance(15)
        await s.generations.sweep()
        (job,) = s.queue.take()
        second_worker.append((await s.generations.process(job)).action)

    # The nested (second) call takes the first step; the stalled first call the second.
    s.speech["espeak"].then(b"ID3 fresh audio", b"ID3 late audio").on_call = stall

    late = await s.generations.process(generation.id)

    assert second_worker == ["started", "completed"]
    assert late.action == "skipped"
    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.COMPLETED
    assert stored.attempts == 2
    assert stored.audio_key == f"audio/{generation.id}/2.mp3"
    assert stored.audio_bytes == len(b"ID3 fresh audio")
    assert s.storage.objects[stored.audio_key].data == b"ID3 fresh audio"
    # The late worker's audio was written, then removed as an orphan.
    assert f"audio/{generation.id}/1.mp3" in s.storage.puts
    assert f"audio/{generation.id}/1.mp3" in s.storage.deletes
    assert list(s.storage.objects) == [stored.audio_key]


async def test_a_late_failure_after_lease_expiry_is_not_recorded(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    def too_slow(call: SpeechCall) -> None:
        s.clock.advance(s.lease.total_seconds() + 1)

    s.speech["espeak"].then(busy()).on_call = too_slow

    assert (await s.generations.process(generation.id)).action == "skipped"
    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.PROCESSING  # the sweeper will take it from here
    assert stored.error_code is None
    await s.generations.sweep()
    assert s.db.generation(generation.id).error_code == "worker_lost"


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
