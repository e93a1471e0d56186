"""Generations on fakes, in the background: a worker makes the audio, retries what can
succeed later and fails for good, with a category and a code, what cannot."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.fakes import FakeSpeech, Services, SpeechCall, make_services
from tests.unit.generations.steps import TEXT, busy, deliver_queued
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus, RetryPolicy
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


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
