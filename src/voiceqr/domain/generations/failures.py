"""What went wrong with a generation: its attempt history (F2) and what the owner can do (F4).

Every claim opens an attempt; the attempt is closed in the same transaction as the
status change that ends it, so the history never disagrees with the generation.
Numbers count every attempt ever made (1, 2, 3, ...), also across an admin's retry,
which renews the generation's attempt budget but not the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.generations.generation import Failure
from voiceqr.domain.shared.errors import ErrorCategory, IllegalTransition


class AttemptOutcome(StrEnum):
    COMPLETED = "completed"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    WORKER_LOST = "worker_lost"
    # An administrator stopped the work: nothing failed, so the failure rate leaves it out.
    CANCELLED = "cancelled"

    @property
    def counts_towards_failure_rate(self) -> bool:
        return self is not AttemptOutcome.CANCELLED


@dataclass(slots=True)
class GenerationAttempt:
    """One try at making the audio; `outcome` is None while it runs."""

    id: UUID
    generation_id: UUID
    number: int
    started_at: datetime
    finished_at: datetime | None = None
    outcome: AttemptOutcome | None = None
    error_category: ErrorCategory | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_detail: str | None = None
    characters_billed: int = 0
    revision: int = 1  # the revision of the generation (G3) this attempt was making

    @property
    def is_running(self) -> bool:
        return self.outcome is None

    def finish(
        self,
        outcome: AttemptOutcome,
        *,
        now: datetime,
        failure: Failure | None = None,
        characters_billed: int = 0,
    ) -> None:
        if not self.is_running:
            raise IllegalTransition(f"Attempt {self.number} has finished already.")
        self.outcome = outcome
        self.finished_at = now
        self.characters_billed = characters_billed
        if failure is not None:
            self.error_category = failure.category
            self.error_code = failure.code
            self.error_message = failure.message
            self.error_detail = failure.detail


CANCELLED_BY_ADMIN = Failure(
    category=ErrorCategory.SYSTEM,
    code="cancelled_by_admin",
    message="An administrator stopped making this audio.",
    retryable=False,
)

_WHAT_TO_DO = {
    ErrorCategory.VALIDATION: "Change the text or pick another voice, then make it again.",
    ErrorCategory.QUOTA: (
        "The speech service has reached its limit for now. Try again later; "
        "we have been told and are on it."
    ),
    ErrorCategory.PROVIDER: (
        "The speech service had trouble. Try again later; we have been told and are on it."
    ),
    ErrorCategory.STORAGE: (
        "We could not save the audio. It was retried automatically; "
        "try again later, we have been told and are on it."
    ),
    ErrorCategory.SYSTEM: (
        "Something went wrong on our side. It was retried automatically; "
        "try again later, we have been told and are on it."
    ),
}


def what_to_do(category: ErrorCategory | None) -> str:
    """Plain advice for the owner of a failed generation, by failure category."""
    return _WHAT_TO_DO.get(category or ErrorCategory.SYSTEM, _WHAT_TO_DO[ErrorCategory.SYSTEM])
