"""Ratings and reviews of voices: what a rating is, what a review may say, and how staff
hide one.

Who may review is decided by the use case (someone who has heard the voice in a
generation of their own); here is what a review is once written. One person has at
most one review of a voice, and writing again replaces its rating and text: the first
`created_at` stays, `updated_at` moves. A review staff have hidden stays hidden when its
author edits it (the author cannot undo a moderator's decision by typing), and a hidden
review counts neither in the listing nor in the voice's average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters

MIN_RATING = 1
MAX_RATING = 5
MAX_REVIEW_CHARACTERS = 1000
MAX_HIDING_REASON_CHARACTERS = 500
ANONYMOUS_REVIEWER = "A user"


def check_rating(rating: int) -> int:
    """`rating` if it is a whole number of stars from 1 to 5; ValidationError otherwise."""
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ValidationError("A rating is a whole number of stars.", code="rating_not_a_number")
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ValidationError(
            f"A rating is {MIN_RATING} to {MAX_RATING} stars, not {rating}.",
            code="rating_out_of_range",
        )
    return rating


def clean_review_text(text: str) -> str:
    """The review's text as stored: trimmed, empty when it says nothing (a review may be
    stars only), at most 1,000 characters; tabs and line breaks are fine."""
    cleaned = text.strip()
    if is_blank(cleaned):
        return ""
    refuse_control_characters(cleaned, what="A review", multiline=True)
    if len(cleaned) > MAX_REVIEW_CHARACTERS:
        raise ValidationError(
            f"A review has at most {MAX_REVIEW_CHARACTERS:,} characters; "
            f"this one has {len(cleaned):,}.",
            code="review_too_long",
        )
    return cleaned


def clean_hiding_reason(reason: str) -> str:
    """Why staff hide or show a review again: one line, required, at most 500 characters."""
    cleaned = reason.strip()
    if is_blank(cleaned):
        raise ValidationError("Say why (the reason is kept in the audit log).", code="reason_blank")
    refuse_control_characters(cleaned, what="The reason")
    if len(cleaned) > MAX_HIDING_REASON_CHARACTERS:
        raise ValidationError(
            f"A reason has at most {MAX_HIDING_REASON_CHARACTERS} characters.",
            code="reason_too_long",
        )
    return cleaned


def reviewer_name(full_name: str) -> str:
    """How a review names its author to others: the first name only (never the email),
    or "A user" for someone who gave no name."""
    words = full_name.split()
    return words[0] if words else ANONYMOUS_REVIEWER


@dataclass(slots=True)
class VoiceReview:
    """One person's rating (and optional words) of one voice."""

    id: UUID
    voice_id: UUID
    user_id: UUID
    rating: int
    text: str
    created_at: datetime
    updated_at: datetime
    hidden_at: datetime | None = None
    hidden_reason: str = ""

    def __post_init__(self) -> None:
        self.rating = check_rating(self.rating)
        self.text = clean_review_text(self.text)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def revise(self, *, rating: int, text: str, now: datetime) -> None:
        """The author writes again: rating and text are replaced; a hidden review stays
        hidden."""
        self.rating = check_rating(rating)
        self.text = clean_review_text(text)
        self.updated_at = now

    def hide(self, reason: str, *, now: datetime) -> None:
        """Staff take the review out of the listing and the average."""
        self.hidden_reason = clean_hiding_reason(reason)
        self.hidden_at = now

    def show(self) -> None:
        """Staff put a hidden review back (the reason for that is the audit log's)."""
        self.hidden_at = None
        self.hidden_reason = ""


@dataclass(frozen=True, slots=True)
class ListedReview:
    """A review as others read it: the author's first name, never their email."""

    review: VoiceReview
    reviewer: str


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """A voice's visible reviews: their mean rating (None when there are none) and count."""

    average: float | None
    count: int


NO_RATINGS = RatingSummary(average=None, count=0)
