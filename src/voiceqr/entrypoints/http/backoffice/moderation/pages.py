"""The moderation pages: `/admin/moderation` (the queue, highest priority first, with
bulk decisions on ticked items) and an item's page (the audio with no autoplay, the
reports and flags, scans by country, the whole history, claim, notes, decisions).

Every action asks for a reason where it decides, is audited with the client's address,
and a refused form comes back with the reason and a 4xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.moderation.decisions import DecisionRequest, decision_request
from voiceqr.application.moderation.ports import CatalogueFilter
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.moderation.cases import DECISION_LABELS, DecisionKind, Sanction, may_take
from voiceqr.domain.moderation.flags import REASON_LABELS, reason_code
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

PAGE = 25
NOTICES = {
    "decided": "The decision is taken; the owner and the reporters who left an email are told.",
    "claimed": "The item is yours: other moderators see you are on it.",
    "unclaimed": "The item is back in the queue for anyone.",
    "noted": "Your note is on the item (moderators only).",
    "flagged": "The generation is flagged and in the queue.",
}
_EXPLAINED = (
    ErrorCategory.VALIDATION,
    ErrorCategory.CONFLICT,
    ErrorCategory.NOT_FOUND,
    ErrorCategory.PERMISSION,
)
_CHOICES = {
    "reasons": list(REASON_LABELS.items()),
    "decision_labels": DECISION_LABELS,
    "sanctions": list(Sanction),
}


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


@get("/admin/moderation")
async def admin_moderation_queue(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    escalated: FromQuery[str] = "",
    rule: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
    bulk: FromQuery[str] = "",
) -> Template:
    """The queue: one item per generation, highest priority first."""
    filters = {"escalated": escalated if escalated in ("1", "0") else "", "rule": rule[:36]}
    found, error, status, older = None, None, 200, None
    try:
        found = await platform.moderation.queue.queue(
            staff,
            rule_id=_uuid(rule) if rule else None,
            escalated=None if not filters["escalated"] else filters["escalated"] == "1",
            cursor=cursor,
            limit=PAGE,
        )
        if found.next_cursor:
            older = "/admin/moderation?" + urlencode({**filters, "cursor": found.next_cursor})
    except ValidationError as exc:
        error, status = exc.message, 400
    return page(
        "backoffice/moderation/queue.html",
        status,
        user=staff,
        entries=[] if found is None else found.entries,
        filters=filters,
        filtered=any(filters.values()),
        bulk_kinds=[DecisionKind.DISMISS, DecisionKind.REVIEWED_FINE, DecisionKind.QUARANTINE],
        newest="/admin/moderation?" + urlencode(filters) if cursor else None,
        older=older,
        error=error,
        notice=bulk or None,
        **_CHOICES,
    )


@post("/admin/moderation/bulk", status_code=303)
async def admin_moderation_bulk(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The same decision on every ticked item; the queue says how many were decided."""
    form = await request.form()
    ids = [found for value in form.getall("ids", []) if (found := _uuid(str(value)))]
    try:
        decision = decision_request(
            str(form.get("kind", "")), str(form.get("reason", "")), str(form.get("category", ""))
        )
        outcome = await platform.moderation.decisions.decide_many(
            staff, ids, decision, ip=client_address(request, platform)
        )
    except ValidationError as exc:
        return page(
            "backoffice/moderation/queue.html",
            422,
            user=staff,
            entries=(await platform.moderation.queue.queue(staff, limit=PAGE)).entries,
            filters={"escalated": "", "rule": ""},
            filtered=False,
            bulk_kinds=[DecisionKind.DISMISS, DecisionKind.REVIEWED_FINE, DecisionKind.QUARANTINE],
            error=exc.message,
            **_CHOICES,
        )
    said = f"{len(outcome.decided)} decided"
    if outcome.refused:
        said += f", {len(outcome.refused)} could not be: " + "; ".join(
            sorted(set(outcome.refused.values()))
        )
    return Redirect("/admin/moderation?" + urlencode({"bulk": said}), status_code=303)


def _day(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC) if text else None
    except ValueError:
        raise ValidationError("Give dates as YYYY-MM-DD.", code="bad_date") from None


def _either(text: str) -> bool | None:
    return {"yes": True, "no": False}.get(text)


@get("/admin/moderation/generations")
async def admin_moderation_generations(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    q: FromQuery[str] = "",
    owner: FromQuery[str] = "",
    status: FromQuery[str] = "",
    voice: FromQuery[str] = "",
    flagged: FromQuery[str] = "",
    reported: FromQuery[str] = "",
    since: FromQuery[str] = "",
    until: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    """Every generation on the platform: searched by text (the History index) and by
    owner, filtered by status, voice, flags, reports and dates; newest first."""
    filters = {
        "q": q[:200],
        "owner": owner[:254],
        "status": status if status in set(GenerationStatus) else "",
        "voice": voice if _uuid(voice) else "",
        "flagged": flagged if flagged in ("yes", "no") else "",
        "reported": reported if reported in ("yes", "no") else "",
        "since": since[:10],
        "until": until[:10],
    }
    entries, error, code, older, audio = [], None, 200, None, {}
    try:
        last = _day(filters["until"])
        which = CatalogueFilter(
            text=filters["q"],
            owner=filters["owner"],
            status=GenerationStatus(filters["status"]) if filters["status"] else None,
            voice_id=_uuid(filters["voice"]) if filters["voice"] else None,
            created_from=_day(filters["since"]),
            created_to=None if last is None else last + timedelta(days=1),
            flagged=_either(filters["flagged"]),
            reported=_either(filters["reported"]),
        )
        found = await platform.moderation.queue.catalogue(staff, which, cursor=cursor, limit=PAGE)
        entries = found.entries
        audio = {
            e.generation.id: await platform.generations.generations.audio_url(e.generation)
            for e in entries
        }
        if found.next_cursor:
            older = "/admin/moderation/generations?" + urlencode(
                {**filters, "cursor": found.next_cursor}
            )
    except ValidationError as exc:
        error, code = exc.message, 400
    return page(
        "backoffice/moderation/generations.html",
        code,
        user=staff,
        entries=entries,
        audio=audio,
        filters=filters,
        filtered=any(filters.values()),
        statuses=list(GenerationStatus),
        voices=await platform.voices.list_for(staff),
        newest="/admin/moderation/generations?" + urlencode(filters) if cursor else None,
        older=older,
        error=error,
    )


async def _item_page(
    platform: Platform,
    staff: User,
    generation_id: UUID,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Template:
    view = await platform.moderation.queue.item(staff, generation_id)
    case = view.entry.case
    return page(
        "backoffice/moderation/item.html",
        status,
        user=staff,
        view=view,
        entry=view.entry,
        case=case,
        g=view.entry.generation,
        kinds=[
            k for k in DecisionKind if may_take(k, case.state, under_appeal=case.appeal_pending)
        ],
        notice=notice,
        error=error,
        form=form or {},
        **_CHOICES,
    )


@get("/admin/moderation/{generation_id:uuid}")
async def admin_moderation_item(
    generation_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
) -> Template:
    return await _item_page(platform, staff, generation_id, notice=NOTICES.get(done))


Action = Callable[[Platform, User, UUID, dict[str, str], str], Awaitable[object]]


async def _act(
    request: Request[Any, Any, Any],
    platform: Platform,
    staff: User,
    generation_id: UUID,
    data: dict[str, str],
    run: Action,
    *,
    done: str,
) -> Response[Any]:
    """Run a form's action, then back to the item's page (with the refusal, if any)."""
    try:
        await run(platform, staff, generation_id, data, client_address(request, platform))
    except DomainError as exc:
        return await _item_page(
            platform,
            staff,
            generation_id,
            status=refusal_status(exc, _EXPLAINED),
            error=exc.message,
            form=data,
        )
    return Redirect(f"/admin/moderation/{generation_id}?done={done}", status_code=303)


def _action(path: str, run: Action, *, done: str) -> Any:
    """A form on an item's page that runs `run` and comes back to the page."""

    @post(path, status_code=303)
    async def submit(
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        data: Form,
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        return await _act(request, platform, staff, generation_id, data, run, done=done)

    return submit


def _request(data: dict[str, str]) -> DecisionRequest:
    return decision_request(
        data.get("kind", ""),
        data.get("reason", ""),
        data.get("category", ""),
        data.get("sanction", ""),
        data.get("until", ""),
    )


async def _decide(p: Platform, staff: User, gid: UUID, data: dict[str, str], ip: str) -> object:
    return await p.moderation.decisions.decide(staff, gid, _request(data), ip=ip)


async def _confirm_ban(
    platform: Platform, staff: User, generation_id: UUID, data: dict[str, str]
) -> Response[Any]:
    """A sanction's confirmation page: how many codes it quarantines, sessions it ends."""
    try:
        request = _request({**data, "kind": str(DecisionKind.BAN_OWNER)})
        if request.sanction is None:
            raise ValidationError("Choose warn, suspend or ban.", code="sanction_required")
        preview = await platform.moderation.decisions.ban_preview(staff, generation_id)
    except DomainError as exc:
        return await _item_page(
            platform,
            staff,
            generation_id,
            status=refusal_status(exc, _EXPLAINED),
            error=exc.message,
            form=data,
        )
    return page(
        "backoffice/moderation/ban.html",
        200,
        user=staff,
        generation_id=generation_id,
        preview=preview,
        ban=request,
        form=data,
        **_CHOICES,
    )


async def _claim(p: Platform, staff: User, gid: UUID, data: dict[str, str], ip: str) -> object:
    await p.moderation.queue.claim(staff, gid, ip=ip)
    return None


async def _unclaim(p: Platform, staff: User, gid: UUID, data: dict[str, str], ip: str) -> object:
    await p.moderation.queue.unclaim(staff, gid, ip=ip)
    return None


async def _note(p: Platform, staff: User, gid: UUID, data: dict[str, str], ip: str) -> object:
    return await p.moderation.queue.note(staff, gid, data.get("note", ""), ip=ip)


async def _flag(p: Platform, staff: User, gid: UUID, data: dict[str, str], ip: str) -> object:
    reason = reason_code(data.get("category", ""))
    return await p.moderation.flags.flag(staff, gid, reason, note=data.get("note", ""), ip=ip)


@post("/admin/moderation/{generation_id:uuid}/decide", status_code=303)
async def admin_moderation_decide(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The decision form. Sanctioning the owner shows its confirmation first (how many
    codes and sessions it touches); that page posts here again, confirmed."""
    if data.get("kind") == DecisionKind.BAN_OWNER and data.get("confirmed") != "yes":
        return await _confirm_ban(platform, staff, generation_id, data)
    return await _act(request, platform, staff, generation_id, data, _decide, done="decided")


admin_moderation_claim = _action(
    "/admin/moderation/{generation_id:uuid}/claim", _claim, done="claimed"
)
admin_moderation_unclaim = _action(
    "/admin/moderation/{generation_id:uuid}/unclaim", _unclaim, done="unclaimed"
)
admin_moderation_note = _action("/admin/moderation/{generation_id:uuid}/note", _note, done="noted")
admin_moderation_flag = _action(
    "/admin/moderation/{generation_id:uuid}/flag", _flag, done="flagged"
)

ROUTES = (
    admin_moderation_queue,
    admin_moderation_generations,
    admin_moderation_bulk,
    admin_moderation_item,
    admin_moderation_decide,
    admin_moderation_claim,
    admin_moderation_unclaim,
    admin_moderation_note,
    admin_moderation_flag,
)
