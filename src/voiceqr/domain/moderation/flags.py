"""Why a generation is looked at: a reason code, where the flag came from, a note.

A flag is a fact, kept for good: staff raised it, a visitor's report did, a text
filter or an automated rule did (which rule is recorded). Flags never change; a
decision on the generation answers them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters

MAX_NOTE = 1000
MAX_REASON = 500


class ReasonCode(StrEnum):
    SPAM = "spam"
    HATE = "hate"
    HARASSMENT = "harassment"
    SEXUAL = "sexual"
    VIOLENCE = "violence"
    PERSONAL_DATA = "personal_data"
    COPYRIGHT = "copyright"
    OTHER = "other"


REASON_LABELS = {
    ReasonCode.SPAM: "Spam or scam",
    ReasonCode.HATE: "Hate",
    ReasonCode.HARASSMENT: "Harassment or bullying",
    ReasonCode.SEXUAL: "Sexual content",
    ReasonCode.VIOLENCE: "Violence or threats",
    ReasonCode.PERSONAL_DATA: "Someone's personal data",
    ReasonCode.COPYRIGHT: "Copyright",
    ReasonCode.OTHER: "Something else",
}


class FlagSource(StrEnum):
    STAFF = "staff"  # a moderator flagged it by hand
    REPORT = "report"  # a visitor reported it from the playback page
    FILTER = "filter"  # a text filter matched when it was requested or edited
    RULE = "rule"  # an automated rule fired


def reason_code(value: str) -> ReasonCode:
    """The reason code named `value`, or a ValidationError that lists them."""
    try:
        return ReasonCode(value.strip().lower())
    except ValueError:
        names = ", ".join(code.value for code in ReasonCode)
        raise ValidationError(f"Choose a reason: one of {names}.", code="bad_reason") from None


def check_note(note: str, *, max_length: int = MAX_NOTE) -> str:
    """An optional note, trimmed; several lines allowed."""
    note = note.strip()
    if len(note) > max_length:
        raise ValidationError(f"Keep the note under {max_length} characters.", code="note_too_long")
    return refuse_control_characters(note, what="The note", multiline=True)


def check_reason(reason: str) -> str:
    """A staff decision's reason, for the audit log and the owner: required, one line."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError("Give a reason: it goes to the audit log.", code="reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationError(
            f"Keep the reason under {MAX_REASON} characters.", code="reason_too_long"
        )
    return refuse_control_characters(reason, what="The reason")


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag on a generation. `rule_id` names the automated rule that fired (rule
    flags only); `created_by` the staff member (None for visitors, filters and rules)."""

    id: UUID
    generation_id: UUID
    source: FlagSource
    reason: ReasonCode
    note: str
    rule_id: UUID | None
    created_by: UUID | None
    created_at: datetime

    @classmethod
    def new(
        cls,
        *,
        generation_id: UUID,
        source: FlagSource,
        reason: ReasonCode,
        now: datetime,
        note: str = "",
        rule_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> Flag:
        if (rule_id is not None) != (source is FlagSource.RULE):
            raise ValidationError(
                "A rule's flag names its rule, and only a rule's flag does.", code="bad_rule_flag"
            )
        return cls(
            id=uuid7(),
            generation_id=generation_id,
            source=source,
            reason=reason,
            note=check_note(note),
            rule_id=rule_id,
            created_by=created_by,
            created_at=now,
        )
