"""Deleting an account: asked for by its owner (after a grace period they may cancel)
or by an administrator, then carried out step by step by a background job.

A deletion is a row per account. Its steps are idempotent and each records how far it
got, so a worker that dies mid-way leaves work the next one finishes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import Conflict, ValidationError

DEFAULT_GRACE = timedelta(days=14)
# A worker holds a deletion this long; one that dies leaves it to the next sweep.
LEASE = timedelta(minutes=10)


class DeletionStatus(StrEnum):
    SCHEDULED = "scheduled"  # waiting for the end of its grace period
    RUNNING = "running"  # due: the job removes the account's things in batches


class DeletionStep(StrEnum):
    """The job's steps, in order: the printed codes are retired first (they answer 410
    from then on); then the generations, a batch at a time, their files before their
    rows; then the account row, whose removal takes every row that belongs to it."""

    RETIRE_CODES = "retire_codes"
    GENERATIONS = "generations"
    ACCOUNT = "account"


STEPS = tuple(DeletionStep)


@dataclass(slots=True, kw_only=True)
class AccountDeletion:
    """An account on its way out. `reason` is said by staff, or "asked by the owner"."""

    user_id: UUID
    requested_at: datetime
    due_at: datetime
    requested_by: str  # "owner", or the staff member's audit label
    reason: str
    status: DeletionStatus = DeletionStatus.SCHEDULED
    step: DeletionStep = DeletionStep.RETIRE_CODES
    lease_expires_at: datetime | None = None

    @property
    def by_owner(self) -> bool:
        return self.requested_by == OWNER

    def is_due(self, now: datetime) -> bool:
        return now >= self.due_at

    def cancel(self) -> None:
        """Keep the account: only while its grace period runs."""
        if self.status is not DeletionStatus.SCHEDULED:
            raise Conflict(
                "The account is already being deleted; it can no longer be kept.",
                code="deletion_running",
            )

    def claim(self, now: datetime) -> bool:
        """Take the deletion for one run of the job; False if it is not due or held."""
        if not self.is_due(now):
            return False
        if self.lease_expires_at is not None and self.lease_expires_at > now:
            return False
        self.status = DeletionStatus.RUNNING
        self.lease_expires_at = now + LEASE
        return True

    def renew(self, now: datetime) -> None:
        """The worker holding it goes on: its lease runs from now."""
        self.lease_expires_at = now + LEASE

    def advance(self, step: DeletionStep) -> None:
        """The steps before `step` are done; never goes back."""
        if STEPS.index(step) < STEPS.index(self.step):
            return
        self.step = step


OWNER = "owner"


def schedule_by_owner(user_id: UUID, *, now: datetime, grace: timedelta) -> AccountDeletion:
    """The owner asks: the account goes once `grace` has passed, unless they keep it."""
    if grace < timedelta(0):
        raise ValidationError("The grace period cannot be negative.", code="bad_grace_period")
    return AccountDeletion(
        user_id=user_id,
        requested_at=now,
        due_at=now + grace,
        requested_by=OWNER,
        reason="asked by the owner",
    )


def schedule_by_staff(
    user_id: UUID, *, now: datetime, requested_by: str, reason: str
) -> AccountDeletion:
    """An administrator deletes the account: no grace period, the job may start at once."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the account is deleted.", code="reason_required")
    if len(reason) > 500:
        raise ValidationError("Keep the reason under 500 characters.", code="reason_too_long")
    return AccountDeletion(
        user_id=user_id,
        requested_at=now,
        due_at=now,
        requested_by=requested_by,
        reason=reason,
    )


def check_email_typed(account_email: str, typed: str) -> None:
    """Staff confirm a deletion by typing the account's email again."""
    if typed.strip().casefold() != account_email.casefold():
        raise ValidationError(
            "Type the account's email address exactly to confirm.", code="email_mismatch"
        )
