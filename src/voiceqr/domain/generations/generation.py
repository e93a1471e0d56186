"""A generation (C2): text + voice -> spoken audio, made in the background.

The state machine lives here and illegal moves raise:

    pending -> processing -> completed
               processing -> failed            (final error or no attempts left)
               processing -> pending           (retryable error, retry scheduled)

Each claim takes a lease; a worker that dies leaves an expired lease that the
sweeper turns back into `pending` (or `failed` once attempts are used up).

Deleting (G2) leaves a tombstone in any state: `deleted_at` is set, the audio is
gone, and a deleted generation is never due and holds no lease, so a worker that
is still busy with it throws its result away.

Editing (G3) makes a new revision of a finished generation: the row takes the new
text and voice as its current job (`revision`) and goes back to `pending`, while
`audio_key` keeps the live audio of `live_revision` until the new one completes.
The id and public code never change, so a printed QR code plays the newest audio.

The text filter may hold a request or an edit for review: the generation then
waits as `pending_review`, is never due and is not queued, until a moderator
approves it (`pending`, due now) or rejects it (`failed`, nothing was made):

    pending_review -> pending      (approved)
    pending_review -> failed       (rejected)
"""

from __future__ import annotations

import math
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar
from uuid import UUID

from voiceqr.domain.generations import titles
from voiceqr.domain.shared.errors import Conflict, ErrorCategory, IllegalTransition, ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters

PUBLIC_CODE_BYTES = 12  # 96 random bits, 16 URL-safe characters


class GenerationStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    PENDING_REVIEW = "pending_review"  # held by the text filter until a moderator decides


def new_public_code() -> str:
    """An unguessable, URL-safe code for the playback page; it never changes."""
    return secrets.token_urlsafe(PUBLIC_CODE_BYTES)


QR_MARKER = "q"  # `?s=q`: the playback page was reached by scanning the printed code
_PLACEMENT_SPILL = re.compile(r"[^a-z0-9_-]+")


def placement_name(name: str | None) -> str:
    """A placement of a printed code ("lobby", "flyer-a"), as URLs and counts carry it:
    lower case letters, digits, - and _, at most 40 characters."""
    return _PLACEMENT_SPILL.sub("-", (name or "").strip().lower()).strip("-")[:40]


def scanned_url(playback_url: str, placement: str = "") -> str:
    """What a generation's QR code encodes: its playback URL, marked as reached by a
    scan (so counting tells scans of the printed code from visits by a shared link), and
    by the placement of this print when it has one (`&p=lobby`), to compare placements."""
    named = placement_name(placement)
    return f"{playback_url}?s={QR_MARKER}" + (f"&p={named}" if named else "")


_PUBLIC_CODE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def is_well_formed_public_code(code: str) -> bool:
    """Whether `code` could be a public code (URL-safe base64, 8 to 64 characters)."""
    return _PUBLIC_CODE.fullmatch(code) is not None


def clean_text(text: str, *, max_length: int) -> str:
    """The text to speak, or a ValidationError saying what is wrong with it.

    Surrounding whitespace is dropped; the length limit counts characters as typed.
    A text of only whitespace and invisible characters (a zero-width space...) is as
    blank as an empty one; control characters other than tab and line breaks are
    refused, as every text people send (see `domain.text`).
    """
    cleaned = text.strip()
    if is_blank(cleaned):
        raise ValidationError("Type some text to speak.", code="text_blank")
    refuse_control_characters(cleaned, what="The text", multiline=True)
    if len(cleaned) > max_length:
        raise ValidationError(
            f"The text has {len(cleaned)} characters; this voice takes at most {max_length}: "
            f"remove {len(cleaned) - max_length} to make it fit. Your text is kept below.",
            code="text_too_long",
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: base, base*factor, base*factor^2, ... capped."""

    max_attempts: int = 5
    base_seconds: float = 30.0
    factor: float = 4.0
    cap_seconds: float = 6 * 3600.0
    jitter: float = 0.2

    def delay(self, attempt: int, *, rng: random.Random | None = None) -> timedelta:
        """Delay before the attempt after `attempt` (1-based) failed."""
        try:
            growth = self.factor ** max(0, attempt - 1)
        except OverflowError:  # far past any cap (float pow raises instead of giving inf)
            growth = math.inf
        raw = min(self.cap_seconds, self.base_seconds * growth) if self.base_seconds else 0.0
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return timedelta(seconds=max(1.0, raw * (1 + spread)))


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed; `message` is safe for the user, `detail` for admins."""

    category: ErrorCategory
    code: str
    message: str
    retryable: bool
    detail: str | None = None
    retry_after: float | None = None


class SpokenJob:
    """The status and lease rules of a row whose text a voice reads in the background:
    a generation or a voice preview. A kind adds its own fields and moves; a kind that
    can be deleted says so with `is_deleted` (a deleted job is never due and holds no
    lease), and one that keeps more of a failure says so in `_note_error`."""

    # No slots of its own: each kind's dataclass makes them. Hidden from mypy, which
    # would take the fields below for missing slots instead of the kind's.
    if not TYPE_CHECKING:
        __slots__ = ()

    _noun: ClassVar[str]  # "generation", "preview": in the refusals

    status: GenerationStatus
    attempts: int
    next_attempt_at: datetime | None
    lease_expires_at: datetime | None
    enqueued_at: datetime | None
    audio_key: str | None
    characters_billed: int
    error_category: ErrorCategory | None
    error_code: str | None
    error_message: str | None
    updated_at: datetime | None

    @property
    def is_finished(self) -> bool:
        return self.status in (GenerationStatus.COMPLETED, GenerationStatus.FAILED)

    @property
    def is_deleted(self) -> bool:
        return False

    def is_due(self, now: datetime) -> bool:
        return (
            self.status is GenerationStatus.PENDING
            and not self.is_deleted
            and (self.next_attempt_at is None or self.next_attempt_at <= now)
        )

    def fail(self, failure: Failure, *, now: datetime, policy: RetryPolicy) -> None:
        """Record a failed attempt: retry later if it can succeed and attempts remain."""
        self._require_processing("failed")
        self._note_error(failure)
        self.lease_expires_at = None
        self.updated_at = now
        if failure.retryable and self.attempts < policy.max_attempts:
            delay = policy.delay(self.attempts)
            if failure.retry_after is not None:
                delay = max(delay, timedelta(seconds=failure.retry_after))
            self.status = GenerationStatus.PENDING
            self.next_attempt_at = now + delay
            self.enqueued_at = None
        else:
            self.status = GenerationStatus.FAILED
            self.next_attempt_at = None

    def expire_lease(self, *, now: datetime, policy: RetryPolicy) -> None:
        """The worker holding the lease vanished: give the attempt back or give up."""
        self._require_processing("recovered")
        if self.lease_expires_at is not None and self.lease_expires_at > now:
            raise IllegalTransition(f"The lease on this {self._noun} has not expired.")
        self.fail(
            Failure(
                category=ErrorCategory.SYSTEM,
                code="worker_lost",
                message="Making the audio took too long; it will be tried again.",
                retryable=True,
                detail="The lease expired before the worker finished.",
            ),
            now=now,
            policy=policy,
        )
        if self.status is GenerationStatus.PENDING:
            self.next_attempt_at = now  # nothing went wrong with the job itself: go again now

    def _leased_to(self, attempt: int, now: datetime) -> bool:
        """Whether the worker of `attempt` may still finish it."""
        return (
            self.status is GenerationStatus.PROCESSING
            and not self.is_deleted
            and self.attempts == attempt
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )

    def _start_attempt(self, now: datetime, lease: timedelta) -> int:
        self.status = GenerationStatus.PROCESSING
        self.attempts += 1
        self.lease_expires_at = now + lease
        self.next_attempt_at = None
        self.updated_at = now
        return self.attempts

    def _complete(self, *, audio_key: str, characters_billed: int, now: datetime) -> None:
        self._require_processing("completed")
        self.status = GenerationStatus.COMPLETED
        self.audio_key = audio_key
        self.characters_billed += characters_billed
        self.lease_expires_at = None
        self._note_error(None)
        self.updated_at = now

    def _note_error(self, failure: Failure | None) -> None:
        """Keep why the last attempt failed (None: it did not)."""
        self.error_category = None if failure is None else failure.category
        self.error_code = None if failure is None else failure.code
        self.error_message = None if failure is None else failure.message

    def _require_processing(self, target: str) -> None:
        if self.status is not GenerationStatus.PROCESSING:
            raise IllegalTransition(f"A {self.status} {self._noun} cannot be {target}.")


@dataclass(slots=True)
class Generation(SpokenJob):
    _noun: ClassVar[str] = "generation"

    id: UUID
    owner_id: UUID
    voice_id: UUID
    text: str
    public_code: str
    created_at: datetime
    status: GenerationStatus = GenerationStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_expires_at: datetime | None = None
    enqueued_at: datetime | None = None
    audio_key: str | None = None
    audio_bytes: int | None = None
    characters_billed: int = 0
    error_category: ErrorCategory | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_detail: str | None = None
    updated_at: datetime | None = None
    completed_at: datetime | None = None
    version: int = 0
    deleted_at: datetime | None = None
    revision: int = 1  # the revision the current job makes (G3)
    live_revision: int | None = None  # the revision `audio_key` belongs to
    title: str | None = None  # the owner's; None: the first words of the text
    # When the owner was first told it failed for good (by mail, digest or notice, as
    # they chose): a generation retried and failing again is never told twice.
    failure_notified_at: datetime | None = None

    @property
    def shown_title(self) -> str:
        """What History, page titles, exports and file names call it."""
        return titles.shown_title(self.title, self.text)

    def retitle(self, title: str | None) -> None:
        """Give it a title (None or blank: the first words of the text again).

        Not a change of the job: `updated_at` and `version` stay, since the title is
        saved apart from the job's columns.
        """
        if self.is_deleted:
            raise IllegalTransition("A deleted generation cannot be renamed.")
        self.title = titles.clean_title(title)

    @property
    def is_busy(self) -> bool:
        """A job is waiting or running: nothing can be edited until it ends."""
        return self.status in (GenerationStatus.PENDING, GenerationStatus.PROCESSING)

    @property
    def is_remaking(self) -> bool:
        """A newer revision is being made while an earlier one's audio keeps playing."""
        return self.is_busy and self.audio_key is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def holds_lease(self, attempt: int, now: datetime, *, revision: int) -> bool:
        """Whether the worker of `attempt` at `revision` may still finish its job.

        The revision is part of the lease: after an edit the attempt count starts
        again, and a late worker of the old text must not complete the new revision.
        """
        return self.revision == revision and self._leased_to(attempt, now)

    def delete(self, now: datetime) -> None:
        """Leave a tombstone: the audio is forgotten and no attempt will run any more.

        The status stays as it was (for the record); the caller removes the audio
        objects from storage.
        """
        if self.is_deleted:
            raise IllegalTransition("This generation was deleted already.")
        self.deleted_at = self.updated_at = now
        self.audio_key = None
        self.live_revision = None
        self.lease_expires_at = None
        self.next_attempt_at = None

    def claim(self, now: datetime, lease: timedelta) -> int:
        """Start an attempt; returns its number. Only a due pending generation can be claimed."""
        if self.status is not GenerationStatus.PENDING:
            raise IllegalTransition(f"A {self.status} generation cannot be started.")
        if not self.is_due(now):
            raise IllegalTransition("This generation is not due for another attempt yet.")
        return self._start_attempt(now, lease)

    def complete(
        self, *, audio_key: str, audio_bytes: int, characters_billed: int, now: datetime
    ) -> None:
        self._complete(audio_key=audio_key, characters_billed=characters_billed, now=now)
        self.audio_bytes = audio_bytes
        self.live_revision = self.revision
        self.completed_at = now

    def retry(self, now: datetime) -> None:
        """An admin's retry (F3): a failed generation goes back to pending, due now, with
        its attempt budget renewed and the old error cleared."""
        if self.status is not GenerationStatus.FAILED:
            raise IllegalTransition(
                f"Only a failed generation can be retried; this one is {self.status}."
            )
        if self.is_deleted:
            raise IllegalTransition("A deleted generation cannot be retried.")
        self._start_afresh(now)

    def revise(self, *, text: str, voice_id: UUID, now: datetime) -> int:
        """Start the next revision (G3) with this text and voice; returns its number.

        Only a finished generation can be edited: while a job waits or runs the edit
        is refused (Conflict `generation_busy`) rather than superseding it, so the
        owner never pays for audio that is thrown away. The same text and voice
        again is refused too (ValidationError `nothing_changed`). The attempt budget
        starts afresh and the job is due now; the live audio stays until the new
        revision completes.
        """
        if self.is_deleted:
            raise IllegalTransition("A deleted generation cannot be edited.")
        if self.is_busy:
            raise Conflict(
                "A version of this audio is being made right now; "
                "edit it again once that is finished.",
                code="generation_busy",
            )
        if text == self.text and voice_id == self.voice_id:
            raise ValidationError(
                "Change the text or pick another voice to make a new version.",
                code="nothing_changed",
            )
        self.revision += 1
        self.text = text
        self.voice_id = voice_id
        self._start_afresh(now)
        return self.revision

    def hold_for_review(self, now: datetime) -> None:
        """The text filter held the current job: it waits for a moderator, not a worker."""
        if self.status is not GenerationStatus.PENDING or self.attempts:
            raise IllegalTransition(f"A {self.status} generation cannot be held for review.")
        self.status = GenerationStatus.PENDING_REVIEW
        self.next_attempt_at = self.enqueued_at = None
        self.updated_at = now

    def approve(self, now: datetime) -> None:
        """A moderator let the held text through: it is made like any request, now."""
        self._require_review("approved")
        self._start_afresh(now)

    def reject(self, failure: Failure, *, now: datetime) -> None:
        """A moderator refused the held text: nothing is made, the owner sees why."""
        self._require_review("rejected")
        self.status = GenerationStatus.FAILED
        self._note_error(failure)
        self.next_attempt_at = None
        self.updated_at = now

    def _require_review(self, target: str) -> None:
        if self.status is not GenerationStatus.PENDING_REVIEW:
            raise IllegalTransition(
                f"Only a held generation can be {target}; this one is {self.status}."
            )
        if self.is_deleted:
            raise IllegalTransition(f"A deleted generation cannot be {target}.")

    def cancel(self, failure: Failure, *, now: datetime) -> None:
        """An admin's cancel (F3): stop a pending or processing generation for good.

        A worker still busy with it loses its lease, so its audio is thrown away.
        """
        if self.status not in (GenerationStatus.PENDING, GenerationStatus.PROCESSING):
            raise IllegalTransition(
                f"Only an unfinished generation can be cancelled; this one is {self.status}."
            )
        self.status = GenerationStatus.FAILED
        self._note_error(failure)
        self.next_attempt_at = self.lease_expires_at = None
        self.updated_at = now

    def _start_afresh(self, now: datetime) -> None:
        """Pending and due now, with a new attempt budget and no error."""
        self.status = GenerationStatus.PENDING
        self.attempts = 0
        self.next_attempt_at = self.updated_at = now
        self.enqueued_at = self.lease_expires_at = None
        self._note_error(None)

    def _note_error(self, failure: Failure | None) -> None:
        SpokenJob._note_error(self, failure)
        self.error_detail = None if failure is None else failure.detail  # for the staff
