"""The staff's own list of the text filter: extra blocked, held or flagged terms and
link domains, and allowed ones that override the shipped word lists.

The list is read and replaced whole (as `GET|PUT /api/v1/admin/moderation/terms`
does); a replacement is checked entry by entry first, so a bad entry changes nothing,
and is written to the audit log with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from voiceqr.application.moderation.automation_ports import AutomationUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.moderation.flags import ReasonCode, check_reason, reason_code
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind, term_text
from voiceqr.domain.shared.errors import ValidationError

MAX_TERMS = 2000
STAFF = "staff"


@dataclass(frozen=True, slots=True)
class TermInput:
    """An entry as staff type it: `kind` term or domain, `action` block, hold, flag or
    allow, `reason` a reason code (ignored for allow)."""

    kind: str
    text: str
    action: str
    reason: str = "other"


def checked_term(given: TermInput) -> FilterTerm:
    try:
        kind = TermKind(given.kind)
    except ValueError:
        raise ValidationError(
            f"An entry is a term or a domain, not '{given.kind}'.", code="bad_term_kind"
        ) from None
    try:
        action = FilterAction(given.action)
    except ValueError:
        names = ", ".join(a.value for a in FilterAction)
        raise ValidationError(
            f"An entry's action is one of {names}, not '{given.action}'.", code="bad_term_action"
        ) from None
    return FilterTerm(
        kind=kind,
        text=term_text(kind, given.text),
        action=action,
        reason=ReasonCode.OTHER if action is FilterAction.ALLOW else reason_code(given.reason),
        source=STAFF,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FilterTerms:
    uow: Callable[[], AutomationUnitOfWork]
    clock: Callable[[], datetime]

    async def list_all(self, actor: Actor) -> list[FilterTerm]:
        require(actor, Permission.MANAGE_FILTER_TERMS)
        async with self.uow() as uow:
            return await uow.filter_terms.list_all()

    async def replace(
        self, actor: Actor, entries: Sequence[TermInput], *, reason: str, ip: str = ""
    ) -> list[FilterTerm]:
        """The staff's list becomes `entries` (a term or domain listed twice: the last
        wins), audited with `reason`."""
        require(actor, Permission.MANAGE_FILTER_TERMS)
        reason = check_reason(reason)
        if len(entries) > MAX_TERMS:
            raise ValidationError(f"Keep the list to {MAX_TERMS} entries.", code="too_many_terms")
        by_key = {(t.kind, t.text.casefold()): t for t in map(checked_term, entries)}
        terms = sorted(by_key.values(), key=lambda t: (t.kind, t.text))
        now = self.clock()
        async with self.uow() as uow:
            before = await uow.filter_terms.list_all()
            await uow.filter_terms.replace_all(terms, now=now)
            await record(
                uow,
                actor,
                "moderation.terms.replace",
                target=("moderation_terms", "staff"),
                now=now,
                ip=ip,
                details={"reason": reason, "before": len(before), "after": len(terms)},
            )
            await uow.commit()
        return terms
