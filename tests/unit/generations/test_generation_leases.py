"""Generations on fakes when a worker is lost: its lease expires, the sweeper gives the job
back, and a late worker overwrites nothing."""

from __future__ import annotations

from uuid import UUID

from tests.unit.fakes import Services, SpeechCall, make_services
from tests.unit.generations.steps import TEXT, busy, deliver_queued
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus, RetryPolicy
from voiceqr.domain.shared.errors import ErrorCategory
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


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
