"""Use cases of a generation (C2): request it, process it, recover it, read it."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.ports import (
    AudioStorage,
    GenerationQueue,
    SpeechResult,
    SpeechSynthesizer,
    UnitOfWorkFactory,
)
from voiceqr.domain.errors import (
    Conflict,
    DomainError,
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.generations import (
    Failure,
    Generation,
    RetryPolicy,
    clean_text,
    new_public_code,
)
from voiceqr.domain.ids import uuid7
from voiceqr.domain.users import User
from voiceqr.domain.voices import Voice

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ProcessingOutcome:
    """What `process` did, for logs and tests."""

    generation_id: UUID
    action: str  # "completed", "retry_scheduled", "failed", "skipped"


class Generations:
    """Everything that happens to a generation, from request to audio."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        queue: GenerationQueue,
        speech: Mapping[str, SpeechSynthesizer],
        storage: AudioStorage,
        clock: Clock,
        retry_policy: RetryPolicy,
        lease: timedelta,
        requeue_after: timedelta,
    ) -> None:
        self._uow = uow
        self._queue = queue
        self._speech = speech
        self._storage = storage
        self._clock = clock
        self._policy = retry_policy
        self._lease = lease
        self._requeue_after = requeue_after

    async def request(self, owner: User, *, text: str, voice_id: UUID) -> Generation:
        """Save a pending generation, then wake a worker.

        The queue is told only after the commit; if the broker is down the
        generation stays pending and the sweeper hands it over later.
        """
        if not owner.is_verified:
            raise PermissionDenied(
                "Confirm your email address first: follow the link we mailed you.",
                code="email_unverified",
            )
        async with self._uow() as uow:
            voice = await uow.voices.get(voice_id)
            if voice is None or not voice.published:
                raise ValidationError(
                    "Pick one of the voices in the gallery.", code="unknown_voice"
                )
            synthesizer = self._speech.get(voice.provider)
            if synthesizer is None:
                raise ValidationError(
                    "This voice is not available right now; pick another one.",
                    code="voice_unavailable",
                )
            now = self._clock()
            generation = Generation(
                id=uuid7(),
                owner_id=owner.id,
                voice_id=voice.id,
                text=clean_text(text, max_length=synthesizer.max_text_length),
                public_code=new_public_code(),
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
            )
            await uow.generations.add(generation)
            await uow.commit()
        await self._hand_to_queue([generation.id])
        return generation

    def synthesizers(self) -> list[SpeechSynthesizer]:
        return list(self._speech.values())

    async def get_for_owner(self, owner: User, generation_id: UUID) -> Generation:
        async with self._uow() as uow:
            generation = await uow.generations.get_owned(generation_id, owner.id)
        if generation is None:
            raise NotFound("No such generation.", code="generation_not_found")
        return generation

    async def list_for_owner(self, owner: User, *, limit: int = 50) -> list[Generation]:
        async with self._uow() as uow:
            return await uow.generations.list_owned(owner.id, limit=limit)

    async def audio_url(self, generation: Generation) -> str | None:
        return (
            None if generation.audio_key is None else await self._storage.url(generation.audio_key)
        )

    async def process(self, generation_id: UUID) -> ProcessingOutcome:
        """Claim -> synthesize -> store -> complete, or record the failure.

        Idempotent: a generation that is finished, not due or leased elsewhere is
        skipped, so a second delivery of the same job does nothing.
        """
        claimed = await self._claim(generation_id)
        if claimed is None:
            return ProcessingOutcome(generation_id, "skipped")
        generation, voice = claimed
        attempt = generation.attempts
        log.info(
            "generation attempt started",
            extra={"generation_id": str(generation_id), "attempt": attempt},
        )
        try:
            if voice is None:
                raise ValidationError(
                    "The voice of this generation was removed; pick another voice.",
                    code="voice_deleted",
                )
            synthesizer = self._speech.get(voice.provider)
            if synthesizer is None:
                raise DomainError(
                    "This voice is not available right now.",
                    code="voice_unavailable",
                    category=ErrorCategory.PROVIDER,
                )
            result = await synthesizer.synthesize(generation.text, voice)
            key = f"audio/{generation.id}/{attempt}.mp3"
            await self._storage.put(key, result.audio, result.content_type)
        except Exception as exc:  # every failure is recorded, none is lost
            return await self._record_failure(generation_id, attempt, _failure_from(exc))
        return await self._finish(generation_id, attempt, key, result)

    async def _claim(self, generation_id: UUID) -> tuple[Generation, Voice | None] | None:
        async with self._uow() as uow:
            generation = await uow.generations.get(generation_id)
            now = self._clock()
            if generation is None or not generation.is_due(now):
                return None
            voice = await uow.voices.get(generation.voice_id)
            generation.claim(now, self._lease)
            try:
                await uow.generations.update(generation)
                await uow.commit()
            except Conflict:
                return None  # another worker claimed it first
        return generation, voice

    async def _finish(
        self, generation_id: UUID, attempt: int, key: str, result: SpeechResult
    ) -> ProcessingOutcome:
        async with self._uow() as uow:
            generation = await uow.generations.get(generation_id)
            now = self._clock()
            if generation is None or not generation.holds_lease(attempt, now):
                # The lease expired and someone else owns the job now: our audio is an orphan.
                await self._storage.delete(key)
                return ProcessingOutcome(generation_id, "skipped")
            generation.complete(
                audio_key=key,
                audio_bytes=len(result.audio),
                characters_billed=result.characters_billed,
                now=now,
            )
            await uow.generations.update(generation)
            await uow.commit()
        log.info(
            "generation completed",
            extra={"generation_id": str(generation_id), "attempt": attempt},
        )
        return ProcessingOutcome(generation_id, "completed")

    async def _record_failure(
        self, generation_id: UUID, attempt: int, failure: Failure
    ) -> ProcessingOutcome:
        async with self._uow() as uow:
            generation = await uow.generations.get(generation_id)
            now = self._clock()
            if generation is None or not generation.holds_lease(attempt, now):
                return ProcessingOutcome(generation_id, "skipped")
            generation.fail(failure, now=now, policy=self._policy)
            await uow.generations.update(generation)
            await uow.commit()
        action = "failed" if generation.is_finished else "retry_scheduled"
        log.warning(
            "generation attempt failed",
            extra={
                "generation_id": str(generation_id),
                "attempt": attempt,
                "category": str(failure.category),
                "code": failure.code,
                "action": action,
            },
        )
        return ProcessingOutcome(generation_id, action)

    async def sweep(self, *, limit: int = 500) -> int:
        """Put expired leases back and hand due work to the queue; returns jobs handed over."""
        now = self._clock()
        async with self._uow() as uow:
            expired = await uow.generations.with_expired_lease(now=now, limit=limit)
        for generation in expired:
            generation.expire_lease(now=now, policy=self._policy)
            try:
                async with self._uow() as uow:
                    await uow.generations.update(generation)
                    await uow.commit()
            except Conflict:
                continue  # the worker finished after all, or another sweeper got there first
            log.warning(
                "generation lease expired",
                extra={"generation_id": str(generation.id), "attempt": generation.attempts},
            )
        async with self._uow() as uow:
            due = await uow.generations.due_for_enqueue(
                now=now, enqueued_before=now - self._requeue_after, limit=limit
            )
        return await self._hand_to_queue([g.id for g in due])

    async def _hand_to_queue(self, ids: list[UUID]) -> int:
        """Send ids to the queue; returns how many the broker took.

        Each row is stamped *before* it is sent: a job that runs and fails fast
        reschedules itself, and a stamp written after the send would land on that
        retry and hold it back. Rows the broker refused are unstamped again so the
        next sweep sends them.
        """
        if not ids:
            return 0
        async with self._uow() as uow:
            await uow.generations.mark_enqueued(ids, now=self._clock())
            await uow.commit()
        for sent, generation_id in enumerate(ids):
            try:
                await self._queue.enqueue(generation_id)
            except Exception:  # the broker being down must not lose the request
                log.exception(
                    "queue unavailable; the sweeper will retry",
                    extra={"generation_id": str(generation_id)},
                )
                async with self._uow() as uow:
                    await uow.generations.mark_enqueued(ids[sent:], now=None)
                    await uow.commit()
                return sent
        return len(ids)


def _failure_from(exc: BaseException) -> Failure:
    detail = "".join(traceback.format_exception(exc))[-8000:]
    if isinstance(exc, ExternalServiceError):
        return Failure(
            category=exc.category,
            code=exc.code,
            message=exc.message,
            retryable=exc.retryable,
            detail=f"{exc.detail or ''}\n{detail}".strip(),
            retry_after=exc.retry_after,
        )
    if isinstance(exc, DomainError):
        return Failure(
            category=exc.category,
            code=exc.code,
            message=exc.message,
            retryable=exc.category
            in (ErrorCategory.PROVIDER, ErrorCategory.STORAGE, ErrorCategory.SYSTEM),
            detail=detail,
        )
    return Failure(
        category=ErrorCategory.SYSTEM,
        code="unexpected_error",
        message="Something went wrong while making the audio; it will be tried again.",
        retryable=True,
        detail=detail,
    )
