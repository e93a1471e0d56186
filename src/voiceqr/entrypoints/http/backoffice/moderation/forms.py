"""Reading a moderation decision from what a form or the JSON API sent, one way for
both (and for the CLI's options, which give the same strings)."""

from __future__ import annotations

from datetime import UTC, datetime

from voiceqr.application.moderation.decisions import DecisionRequest
from voiceqr.domain.moderation.cases import DecisionKind, Sanction
from voiceqr.domain.moderation.flags import reason_code
from voiceqr.domain.shared.errors import ValidationError


def decision_request(
    kind: str, reason: str, category: str = "", sanction: str = "", until: str = ""
) -> DecisionRequest:
    """A DecisionRequest from text fields; ValidationError names what is wrong."""
    try:
        decided = DecisionKind(kind.strip())
    except ValueError:
        names = ", ".join(k.value for k in DecisionKind)
        raise ValidationError(f"Choose a decision: one of {names}.", code="bad_decision") from None
    try:
        sanctioned = Sanction(sanction.strip()) if sanction.strip() else None
    except ValueError:
        raise ValidationError("Choose warn, suspend or ban.", code="bad_sanction") from None
    return DecisionRequest(
        kind=decided,
        reason=reason,
        reason_code=reason_code(category) if category.strip() else None,
        sanction=sanctioned,
        until=_moment(until) if until.strip() else None,
    )


def _moment(text: str) -> datetime:
    """An ISO date and time (a date alone is its midnight); UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "Give the end of the suspension as a date and time, e.g. 2026-12-31T18:00.",
            code="bad_until",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
