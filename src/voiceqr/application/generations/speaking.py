"""The job that speaks a text in the background, for generations and voice previews.

Both are a row with a status (`pending -> processing -> completed | failed`) whose text
a voice reads. The steps are the same and live here once: claim the row with a lease
for one attempt, speak it with the voice's provider, store the audio, then complete it,
or record the failure (retried later with backoff, or final) with `failure_from`; a
result that comes back after the lease was lost is thrown away. The sweep gives lost
attempts back and hands due rows to the queue, and `hand_to_queue` stamps rows before
it sends their jobs, after the commit.

What differs is a `SpeechWork`: which rows, which task, where the audio goes, and what
else an attempt writes in its transactions (a generation keeps an attempt history,
revisions and mail; a preview nothing more).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from voiceqr.application.shared.jobs import AfterCommit, Jobs
from voiceqr.application.shared.ports import (
    AudioStorage,
    SpeechResult,
    SpeechSynthesizer,
    Transaction,
)
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.generations.failures import AttemptOutcome
from voiceqr.domain.generations.generation import Failure, RetryPolicy
from voiceqr.domain.shared.errors import (
    Conflict,
    DomainError,
    ErrorCategory,
    ExternalServiceError,
    ValidationError,
)
from voiceqr.domain.voices.voice import Voice


class SpokenRow(Protocol):
    """A row whose text a voice reads: a generation or a preview. Its status rules are
    the domain's; the job only calls them."""

    @property
    def id(self) -> UUID: ...
    @property
    def voice_id(self) -> UUID: ...
    @property
    def text(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def is_finished(self) -> bool: ...
    @property
    def error_category(self) -> ErrorCategory | None: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def next_attempt_at(self) -> datetime | None: ...

    def is_due(self, now: datetime) -> bool: ...

    def claim(self, now: datetime, lease: timedelta) -> int: ...

    def fail(self, failure: Failure, *, now: datetime, policy: RetryPolicy) -> None: ...

    def expire_lease(self, *, now: datetime, policy: RetryPolicy) -> None: ...


Row = TypeVar("Row", bound=SpokenRow)


class SpokenRows(Protocol[Row]):
    """What the job needs of the rows' repository (generations' and previews' have it)."""

    async def get(self, row_id: UUID, /) -> Row | None: ...

    async def update(self, row: Row, /) -> None:
        """A versioned save: raises `Conflict` when someone saved since it was read."""
        ...

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Row]: ...

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Row]: ...

    async def mark_enqueued(self, row_ids: Sequence[UUID], /, *, now: datetime | None) -> None: ...


class SpeakingUnitOfWork(Transaction, Protocol):
    """The job reads the voice in the transaction that claims a row."""

    voices: VoiceRepository


U = TypeVar("U", bound=SpeakingUnitOfWork)
U_contra = TypeVar("U_contra", bound=SpeakingUnitOfWork, contravariant=True)


class SpeechWork(Protocol[U_contra, Row]):
    """One kind of spoken work: what it adds to the shared steps. A kind subclasses it
    and keeps the defaults of the hooks it has nothing to add to (from `claim_fields` on)."""

    @property
    def noun(self) -> str:
        """ "generation", "preview": in the log messages, and the `<noun>_id` field."""
        ...

    @property
    def task(self) -> str:
        """The job that processes one row, by id."""
        ...

    @property
    def log(self) -> logging.Logger:
        """The feature's own logger: its lines keep their logger's name."""
        ...

    @property
    def voice_removed(self) -> str:
        """What the user reads when the row's voice was deleted."""
        ...

    def rows(self, uow: U_contra) -> SpokenRows[Row]: ...

    async def started(self, uow: U_contra, row: Row, now: datetime) -> str:
        """Record the attempt `row` was just claimed for, in the claim's transaction;
        returns the key its audio is stored under (never one used before)."""
        ...

    def holds_lease(self, row: Row, claimed: Row, now: datetime) -> bool:
        """Whether `row`, read again now, is still the attempt `claimed` started."""
        ...

    def complete(self, row: Row, key: str, result: SpeechResult, now: datetime) -> None:
        """Move `row` to completed with its audio."""
        ...

    def claim_fields(self, row: Row) -> dict[str, object]:
        """Fields the "attempt started" line carries besides the id and attempt."""
        return {}

    async def completed(
        self, uow: U_contra, row: Row, key: str, result: SpeechResult, now: datetime
    ) -> None:
        """What goes with the completion of `row`, saved already, in its transaction."""
        return

    async def failed(self, uow: U_contra, row: Row, outcome: AttemptOutcome, now: datetime) -> None:
        """After `row` recorded a failure or a lost worker: what goes with it, in the
        same transaction."""
        return

    def changed(self, row: Row) -> None:
        """After a commit that completed or failed `row` (a cache to forget, say)."""
        return


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeechPipeline(Generic[U]):
    """What spoken work runs on: its unit of work, the queue, the speech providers, the
    audio store, the clock, and how attempts are leased and retried. `Generations` and
    `Previews` are built on it and hand themselves to their `SpeechJob`."""

    uow: Callable[[], U]
    jobs: Jobs
    speech: Mapping[str, SpeechSynthesizer]
    storage: AudioStorage
    clock: Callable[[], datetime]
    retry_policy: RetryPolicy
    lease: timedelta
    requeue_after: timedelta  # a pending row handed over this long ago is handed over again


@dataclass(frozen=True, slots=True)
class SpeechJob(Generic[U, Row]):
    """Processes, sweeps and hands to the queue the rows of one kind of work."""

    work: SpeechWork[U, Row]
    pipeline: SpeechPipeline[U]

    async def process(self, row_id: UUID) -> str:
        """Claim -> synthesize -> store -> complete, or record the failure; returns what
        it did: "completed", "retry_scheduled", "failed" or "skipped".

        Idempotent: a row that is finished, not due, leased elsewhere or gone is
        skipped, so a second delivery of the same job does nothing.
        """
        work = self.work
        claimed = await self._claim(row_id)
        if claimed is None:
            work.log.info(
                f"{work.noun} job skipped: finished, not due or taken",
                extra=self._fields("skip", row_id, None),
            )
            return "skipped"
        row, voice, key = claimed
        attempt = row.attempts
        work.log.info(
            f"{work.noun} attempt started",
            extra=self._fields("claim", row_id, attempt, **work.claim_fields(row)),
        )
        try:
            if voice is None:
                raise ValidationError(work.voice_removed, code="voice_deleted")
            synthesizer = self.pipeline.speech.get(voice.provider)
            if synthesizer is None:
                raise DomainError(
                    "This voice is not available right now.",
                    code="voice_unavailable",
                    category=ErrorCategory.PROVIDER,
                )
            result = await synthesizer.synthesize(row.text, voice)
            work.log.info(
                "speech synthesized",
                extra=self._fields(
                    "synthesize",
                    row_id,
                    attempt,
                    provider=voice.provider,
                    characters_billed=result.characters_billed,
                    audio_bytes=len(result.audio),
                ),
            )
            await self.pipeline.storage.put(key, result.audio, result.content_type)
            work.log.info(
                "audio stored", extra=self._fields("store", row_id, attempt, audio_key=key)
            )
        except Exception as exc:  # every failure is recorded, none is lost
            return await self._record_failure(row, failure_from(exc))
        return await self._finish(row, key, result)

    async def _claim(self, row_id: UUID) -> tuple[Row, Voice | None, str] | None:
        """Take the lease of a due row; returns it, its voice and its audio key (None
        when it is not due or another worker got it)."""
        async with self.pipeline.uow() as uow:
            row = await self.work.rows(uow).get(row_id)
            now = self.pipeline.clock()
            if row is None or not row.is_due(now):
                return None
            voice = await uow.voices.get(row.voice_id)
            row.claim(now, self.pipeline.lease)
            try:
                await self.work.rows(uow).update(row)
                key = await self.work.started(uow, row, now)
                await uow.commit()
            except Conflict:
                return None  # another worker claimed it first
        return row, voice, key

    async def _finish(self, claimed: Row, key: str, result: SpeechResult) -> str:
        work = self.work
        async with self.pipeline.uow() as uow:
            row = await work.rows(uow).get(claimed.id)
            now = self.pipeline.clock()
            if row is None or not work.holds_lease(row, claimed, now):
                # The lease expired and someone else owns the job now: our audio is an orphan.
                await self.pipeline.storage.delete(key)
                work.log.warning(
                    f"{work.noun} result discarded: lease lost",
                    extra=self._fields(
                        "complete", claimed.id, claimed.attempts, action="discarded"
                    ),
                )
                return "skipped"
            work.complete(row, key, result, now)
            await work.rows(uow).update(row)
            await work.completed(uow, row, key, result, now)
            await uow.commit()
        work.changed(row)
        work.log.info(
            f"{work.noun} completed", extra=self._fields("complete", row.id, claimed.attempts)
        )
        return "completed"

    async def _record_failure(self, claimed: Row, failure: Failure) -> str:
        work, attempt = self.work, claimed.attempts
        async with self.pipeline.uow() as uow:
            row = await work.rows(uow).get(claimed.id)
            now = self.pipeline.clock()
            if row is None or not work.holds_lease(row, claimed, now):
                work.log.warning(
                    f"{work.noun} failure discarded: lease lost",
                    extra=self._fields(
                        "fail", claimed.id, attempt, failure.category, action="discarded"
                    ),
                )
                return "skipped"
            row.fail(failure, now=now, policy=self.pipeline.retry_policy)
            await work.rows(uow).update(row)
            action = "failed" if row.is_finished else "retry_scheduled"
            await work.failed(uow, row, AttemptOutcome(action), now)
            await uow.commit()
        work.changed(row)
        work.log.warning(
            f"{work.noun} attempt failed",
            extra=self._fields(
                "fail", row.id, attempt, failure.category, code=failure.code, action=action
            ),
        )
        self._log_outcome(row, attempt)
        return action

    async def sweep(self, *, limit: int = 500) -> int:
        """Put expired leases back and hand due work to the queue; returns jobs handed over."""
        work, now = self.work, self.pipeline.clock()
        async with self.pipeline.uow() as uow:
            expired = await work.rows(uow).with_expired_lease(now=now, limit=limit)
        for row in expired:
            row.expire_lease(now=now, policy=self.pipeline.retry_policy)
            try:
                async with self.pipeline.uow() as uow:
                    await work.rows(uow).update(row)
                    await work.failed(uow, row, AttemptOutcome.WORKER_LOST, now)
                    await uow.commit()
            except Conflict:
                continue  # the worker finished after all, or another sweeper got there first
            work.log.warning(
                f"{work.noun} lease expired",
                extra=self._fields(
                    "lease_expired",
                    row.id,
                    row.attempts,
                    row.error_category,
                    code=row.error_code,
                    action="failed" if row.is_finished else "retry_scheduled",
                ),
            )
            self._log_outcome(row, row.attempts)
        async with self.pipeline.uow() as uow:
            due = await work.rows(uow).due_for_enqueue(
                now=now, enqueued_before=now - self.pipeline.requeue_after, limit=limit
            )
        return await self.hand_to_queue([row.id for row in due])

    async def hand_to_queue(self, ids: Sequence[UUID]) -> int:
        """Send ids to the queue; returns how many the broker took.

        Each row is stamped *before* it is sent: a job that runs and fails fast
        reschedules itself, and a stamp written after the send would land on that
        retry and hold it back. Rows the broker refused are unstamped again so the
        next sweep sends them.
        """
        if not ids:
            return 0
        work, jobs = self.work, AfterCommit(self.pipeline.jobs)
        async with self.pipeline.uow() as uow:
            await work.rows(uow).mark_enqueued(ids, now=self.pipeline.clock())
            for row_id in ids:
                jobs.enqueue(work.task, str(row_id))
            await jobs.commit(uow)
        sent = await jobs.send()
        if jobs.refused is not None:
            # One line, no traceback: an outage would otherwise print one per request.
            work.log.warning(
                "queue unavailable (%s); the sweeper will send it once it is back",
                jobs.refused,
                extra={f"{work.noun}_id": str(ids[sent])},
            )
            async with self.pipeline.uow() as uow:
                await work.rows(uow).mark_enqueued(ids[sent:], now=None)
                await uow.commit()
        return sent

    def _fields(
        self, step: str, row_id: UUID, attempt: int | None, category: object = None, **more: object
    ) -> dict[str, object]:
        """The structured fields of one step of a job. Every line the worker logs about a
        row carries its id, the attempt and the failure category (None until something
        failed), so one filter on a log collector follows a job end to end."""
        return {
            "step": step,
            f"{self.work.noun}_id": str(row_id),
            "attempt": attempt,
            "category": None if category is None else str(category),
            **more,
        }

    def _log_outcome(self, row: Row, attempt: int) -> None:
        """After a failed attempt: when the retry is due, or that the row failed for good."""
        noun = self.work.noun
        if row.is_finished:
            # A warning: a bad voice or a spent quota is no bug; many of them raise the alert.
            self.work.log.warning(
                f"{noun} failed for good",
                extra=self._fields(
                    "final_failure", row.id, attempt, row.error_category, code=row.error_code
                ),
            )
        else:
            self.work.log.info(
                f"{noun} retry scheduled",
                extra=self._fields(
                    "retry_scheduled",
                    row.id,
                    attempt,
                    row.error_category,
                    next_attempt_at=row.next_attempt_at,
                ),
            )


def failure_from(exc: BaseException) -> Failure:
    """How a failed attempt is recorded: what went wrong, in words for the user and in
    detail for admins, and whether trying again can help."""
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
