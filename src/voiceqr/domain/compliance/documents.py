"""The terms of service and the privacy policy as versioned documents, and who accepted which.

Each kind has versions 1, 2, 3... A published version is never edited: a change is a
new version with its own summary of changes, effective date and hash of its text. The
live version is the newest one whose effective date has come; a newer one with a date
still ahead is scheduled. A material version (one that changes what users agree to)
must be accepted by every user before they use the site again; a version that only
mends wording needs nothing from them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import Conflict, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters

MAX_TEXT = 200_000
MAX_SUMMARY = 1_000
FIRST_SUMMARY = "First version."


class DocumentKind(StrEnum):
    TERMS = "terms"
    PRIVACY = "privacy"

    @property
    def label(self) -> str:
        return "Terms of service" if self is DocumentKind.TERMS else "Privacy policy"


class AcceptanceWay(StrEnum):
    """How a user accepted a version: the sign-up form's tick box, continuing with a
    social provider on the sign-in page, or the page a material new version sends them to."""

    SIGNUP = "signup"
    SOCIAL_SIGNUP = "social_signup"
    REACCEPTANCE = "reacceptance"


def document_kind(value: str) -> DocumentKind:
    """The kind named `value` ("terms" or "privacy"), or a ValidationError saying which exist."""
    try:
        return DocumentKind(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"'{value}' is not a legal document: use terms or privacy.", code="unknown_document"
        ) from None


def effective_date(value: str) -> date:
    """The day a version takes effect, written YYYY-MM-DD."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"'{value}' is not a date: write the effective date as YYYY-MM-DD.",
            code="bad_effective_date",
        ) from None


def normalized_text(text: str) -> str:
    """The text as it is stored and hashed: one kind of line end, no blank edges, so
    the same document pasted from two editors has one hash."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def text_hash(text: str) -> str:
    """The sha256 of the stored text (UTF-8), in hex: what a user can check a copy against."""
    return hashlib.sha256(normalized_text(text).encode()).hexdigest()


def check_text(text: str) -> str:
    text = normalized_text(text)
    if not text:
        raise ValidationError("Write the document's text first.", code="empty_document")
    if len(text) > MAX_TEXT:
        raise ValidationError(
            f"Keep the document under {MAX_TEXT:,} characters.", code="document_too_long"
        )
    return refuse_control_characters(text, what="The text", multiline=True)


def check_summary(summary: str, *, first: bool) -> str:
    """What changed, in a few lines; a first version may leave it out."""
    summary = normalized_text(summary)
    if not summary:
        if first:
            return FIRST_SUMMARY
        raise ValidationError(
            "Say what changed since the last version: users read it before accepting.",
            code="summary_required",
        )
    if len(summary) > MAX_SUMMARY:
        raise ValidationError(
            f"Keep the summary of changes under {MAX_SUMMARY:,} characters.",
            code="summary_too_long",
        )
    return refuse_control_characters(summary, what="The summary", multiline=True)


@dataclass(frozen=True, slots=True)
class LegalDocument:
    """One published version of a kind of document; frozen: published means final."""

    id: UUID
    kind: DocumentKind
    version: int
    text: str
    summary: str
    effective_on: date
    sha256: str
    material: bool
    published_at: datetime
    published_by: str  # the publisher's email then, or "cli"
    published_by_id: UUID | None = None

    def is_live_on(self, day: date) -> bool:
        return self.effective_on <= day

    @property
    def title(self) -> str:
        return self.kind.label


def publish(
    kind: DocumentKind,
    *,
    text: str,
    summary: str,
    effective_on: date,
    material: bool,
    earlier: Iterable[LegalDocument],
    today: date,
    now: datetime,
    published_by: str,
    published_by_id: UUID | None = None,
) -> LegalDocument:
    """The next version of `kind` after the `earlier` ones.

    Refused: an empty or unchanged text, a missing summary of changes (after the first
    version), an effective date in the past (nobody can have agreed to it then) or
    before the latest version's (versions take effect in their order).
    """
    versions = sorted((d for d in earlier if d.kind is kind), key=lambda d: d.version)
    latest = versions[-1] if versions else None
    text = check_text(text)
    summary = check_summary(summary, first=latest is None)
    if effective_on < today:
        raise ValidationError(
            "The effective date is in the past: pick today or a later day.",
            code="effective_date_past",
        )
    if latest is not None:
        if effective_on < latest.effective_on:
            raise ValidationError(
                f"Version {latest.version} takes effect on {latest.effective_on:%Y-%m-%d}: "
                "a newer version cannot take effect before it.",
                code="effective_date_before_latest",
            )
        if text_hash(text) == latest.sha256:
            raise Conflict(
                f"This text is the same as version {latest.version}.", code="document_unchanged"
            )
    return LegalDocument(
        id=uuid7(),
        kind=kind,
        version=1 if latest is None else latest.version + 1,
        text=text,
        summary=summary,
        effective_on=effective_on,
        sha256=text_hash(text),
        material=material,
        published_at=now,
        published_by=published_by[:254],
        published_by_id=published_by_id,
    )


def live_version(versions: Iterable[LegalDocument], today: date) -> LegalDocument | None:
    """The version in force on `today`: the newest whose effective date has come."""
    live = [d for d in versions if d.is_live_on(today)]
    return max(live, key=lambda d: d.version, default=None)


def scheduled_version(versions: Iterable[LegalDocument], today: date) -> LegalDocument | None:
    """The next version to take effect after `today`, if one is published already."""
    ahead = [d for d in versions if not d.is_live_on(today)]
    return min(ahead, key=lambda d: d.version, default=None)


def required_version(versions: Iterable[LegalDocument], today: date) -> int:
    """The version a user must have accepted (or a later one) to use the site on
    `today`: the newest material version in force, 0 when none asks anything."""
    return max((d.version for d in versions if d.material and d.is_live_on(today)), default=0)


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A user accepted a version of a document, at a moment, in a way."""

    id: UUID
    user_id: UUID
    kind: DocumentKind
    version: int
    accepted_at: datetime
    how: AcceptanceWay


def accepted(
    user_id: UUID, document: LegalDocument, how: AcceptanceWay, now: datetime
) -> Acceptance:
    return Acceptance(uuid7(), user_id, document.kind, document.version, now, how)


def still_to_accept(
    required: Mapping[DocumentKind, int], latest_accepted: Mapping[DocumentKind, int]
) -> list[DocumentKind]:
    """The kinds whose required version is newer than any the user accepted."""
    return [kind for kind, version in required.items() if latest_accepted.get(kind, 0) < version]


class TermsNotAccepted(PermissionDenied):
    """A signed-in user has a material new version to accept before anything else."""

    code = "terms_not_accepted"

    def __init__(self) -> None:
        super().__init__(
            "Our terms or privacy policy changed: accept the new version at /legal/accept first."
        )
