"""Moderation automation in the browser: `/admin/moderation/rules` (the flagging rules:
add or change one, turn it on or off, try it on the last generations), `/admin/
moderation/terms` (the text filter's staff entries, one per line) and `/admin/
moderation/held` (approve or reject what the filter held). Every change asks for a
reason (audited, with the client's address); a refused form comes back with the
reason, what was typed and a 4xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.moderation.filters import TermInput
from voiceqr.application.moderation.rules import DEFAULT_DRY_RUN, RuleInput
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.moderation.flags import REASON_LABELS, ReasonCode
from voiceqr.domain.moderation.rules import RuleKind
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

NOTICES = {
    "saved": "The rule is saved.",
    "enabled": "The rule is on.",
    "disabled": "The rule is off.",
    "terms": "The filter's staff entries are saved; they apply to the next request.",
    "approved": "The generation is approved and queued.",
    "rejected": "The generation is rejected; no audio will be made.",
}
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.NOT_FOUND)


def parameters_from(text: str) -> dict[str, object]:
    """ "name = value" lines as the rule form takes them: a whole number, or for
    `domains` a comma-separated list."""
    found: dict[str, object] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise ValidationError(
                f"Write each parameter as name = value, not '{line.strip()}'.",
                code="bad_rule_parameter",
            )
        if name == "domains":
            found[name] = [d.strip() for d in value.split(",") if d.strip()]
            continue
        try:
            found[name] = int(value)
        except ValueError:
            raise ValidationError(
                f"{name} must be a whole number.", code="bad_rule_parameter"
            ) from None
    return found


def parameters_text(parameters: Any) -> str:
    return "\n".join(
        f"{name} = {', '.join(value) if isinstance(value, tuple | list) else value}"
        for name, value in parameters.items()
    )


def terms_from(text: str) -> list[TermInput]:
    """One entry per line: `action kind reason text`, as `block domain spam bad.example`
    or `allow term - claim your prize` (an allowed entry has no reason: `-`)."""
    entries = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(maxsplit=3)
        if len(parts) < 4:
            raise ValidationError(
                f"Write each entry as: action kind reason text, not '{line.strip()}'.",
                code="bad_term_line",
            )
        action, kind, reason, term = parts
        entries.append(
            TermInput(kind=kind, text=term, action=action, reason=reason.strip("-") or "other")
        )
    return entries


def terms_text(terms: list[FilterTerm]) -> str:
    return "\n".join(
        f"{t.action} {t.kind} {'-' if t.action is FilterAction.ALLOW else t.reason} {t.text}"
        for t in terms
    )


async def _acted(
    action: Callable[[], Awaitable[object]],
    done: str,
    refused: Callable[[DomainError], Awaitable[Template]],
) -> Response[Any]:
    try:
        await action()
    except DomainError as exc:
        return await refused(exc)
    return Redirect(done, status_code=303)


async def _rules_page(
    platform: Platform, staff: User, *, status: int = 200, **context: Any
) -> Template:
    return page(
        "backoffice/moderation_rules/rules.html",
        status,
        user=staff,
        rules=await platform.moderation.rules.list_all(staff),
        kinds=list(RuleKind),
        reasons=REASON_LABELS,
        parameters_text=parameters_text,
        **{"form": {}, "notice": None, "error": None, **context},
    )


@get("/admin/moderation/rules")
async def admin_rules(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    return await _rules_page(platform, staff, notice=NOTICES.get(done))


@post("/admin/moderation/rules", status_code=303)
async def admin_save_rule(
    request: Request[Any, Any, Any],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    async def save() -> object:
        try:
            severity = int(data.get("severity", "1"))
        except ValueError:
            raise ValidationError("severity must be from 1 to 5.", code="bad_severity") from None
        rule = RuleInput(
            name=data.get("name", ""),
            kind=data.get("kind", ""),
            parameters=parameters_from(data.get("parameters", "")),
            severity=severity,
            enabled=data.get("enabled") == "on",
            reason_code=data.get("reason_code", ""),
        )
        return await platform.moderation.rules.save(
            staff, rule, reason=data.get("reason", ""), ip=client_address(request, platform)
        )

    async def refused(exc: DomainError) -> Template:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _rules_page(platform, staff, status=status, error=exc.message, form=data)

    return await _acted(save, "/admin/moderation/rules?done=saved", refused)


@post("/admin/moderation/rules/{rule:str}/switch", status_code=303)
async def admin_switch_rule(
    request: Request[Any, Any, Any],
    rule: FromPath[str],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    enabled = data.get("enabled") == "on"

    async def switch() -> object:
        return await platform.moderation.rules.switch(
            staff,
            rule,
            enabled=enabled,
            reason=data.get("reason", ""),
            ip=client_address(request, platform),
        )

    async def refused(exc: DomainError) -> Template:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _rules_page(platform, staff, status=status, error=exc.message)

    done = "enabled" if enabled else "disabled"
    return await _acted(switch, f"/admin/moderation/rules?done={done}", refused)


@get("/admin/moderation/rules/{rule:str}/dry-run")
async def admin_dry_run(
    rule: FromPath[str],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    last: FromQuery[int] = DEFAULT_DRY_RUN,
) -> Template:
    """What the rule would have flagged among the last generations; writes nothing."""
    try:
        tried = await platform.moderation.rules.dry_run(staff, rule, last=last)
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _rules_page(platform, staff, status=status, error=exc.message)
    return page("backoffice/moderation_rules/dry_run.html", user=staff, tried=tried, last=last)


async def _terms_page(
    platform: Platform, staff: User, *, status: int = 200, **context: Any
) -> Template:
    terms = await platform.moderation.terms.list_all(staff)
    return page(
        "backoffice/moderation_rules/terms.html",
        status,
        user=staff,
        actions=list(FilterAction),
        kinds=list(TermKind),
        reasons=list(ReasonCode),
        **{
            "entries": terms_text(terms),
            "count": len(terms),
            "notice": None,
            "error": None,
            **context,
        },
    )


@get("/admin/moderation/terms")
async def admin_terms(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    return await _terms_page(platform, staff, notice=NOTICES.get(done))


@post("/admin/moderation/terms", status_code=303)
async def admin_save_terms(
    request: Request[Any, Any, Any],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    typed = data.get("entries", "")

    async def save() -> object:
        return await platform.moderation.terms.replace(
            staff,
            terms_from(typed),
            reason=data.get("reason", ""),
            ip=client_address(request, platform),
        )

    async def refused(exc: DomainError) -> Template:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _terms_page(platform, staff, status=status, error=exc.message, entries=typed)

    return await _acted(save, "/admin/moderation/terms?done=terms", refused)


async def _held_page(
    platform: Platform, staff: User, *, status: int = 200, **context: Any
) -> Template:
    return page(
        "backoffice/moderation_rules/held.html",
        status,
        user=staff,
        held=await platform.moderation.held.waiting(staff),
        **{"notice": None, "error": None, **context},
    )


@get("/admin/moderation/held")
async def admin_held(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    return await _held_page(platform, staff, notice=NOTICES.get(done))


@post("/admin/moderation/held/{generation_id:uuid}", status_code=303)
async def admin_review_held(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Approve or reject one held generation (`decision`), with a reason."""
    decision = data.get("decision", "")
    approve = decision == "approve"
    held = platform.moderation.held

    async def decide() -> object:
        if decision not in ("approve", "reject"):
            raise ValidationError("Choose approve or reject.", code="bad_decision")
        chosen = held.approve if approve else held.reject
        return await chosen(
            staff,
            generation_id,
            reason=data.get("reason", ""),
            ip=client_address(request, platform),
        )

    async def refused(exc: DomainError) -> Template:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _held_page(platform, staff, status=status, error=exc.message)

    done = "approved" if approve else "rejected"
    return await _acted(decide, f"/admin/moderation/held?done={done}", refused)


RULE_ROUTES = (admin_rules, admin_save_rule, admin_switch_rule, admin_dry_run)
TERM_ROUTES = (admin_terms, admin_save_terms)
HELD_ROUTES = (admin_held, admin_review_held)
