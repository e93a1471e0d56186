"""The admins' recovery pages: failed generations listed with filters, retried one
by one or many at once, cancelled, or edited and requeued, in the browser.

The same use cases as the JSON API (`backoffice.generations.api`) and the CLI, called with
the client's address, so every action lands in the audit log the same way. A refused
action shows the page again with the reason and what was typed, and a 4xx status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.revisions import Edit
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.entrypoints.http.backoffice.generations.api import (
    MAX_RETRY_IDS,
    STATUS_CHOICES,
    status_filter,
)
from voiceqr.entrypoints.http.generations.views import generation_out
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

PAGE = 50

# What a finished action says on the page it comes back to (`?done=`).
NOTICES = {
    "retried": "Requeued: the generation waits for a worker with a new attempt budget.",
    "cancelled": "Cancelled: the generation failed for good and its owner was mailed.",
    "edited": "Saved as a new version and requeued with a new attempt budget.",
}
# Refusals shown on the page next to the form; anything else is the error page.
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)


def _filters(status: str, category: str) -> tuple[GenerationStatus | None, ErrorCategory | None]:
    """The list's filters from the query; a value no form offers is a ValidationError."""
    chosen = status_filter(status)
    try:
        return chosen, ErrorCategory(category) if category else None
    except ValueError:
        raise ValidationError(
            "Pick a status and an error category from the lists.", code="unknown_filter"
        ) from None


def _owner(owner: str) -> UUID | None:
    """One owner's generations (a user's page links here), or everyone's."""
    try:
        return UUID(owner) if owner else None
    except ValueError:
        raise ValidationError("The owner is an account's id.", code="unknown_filter") from None


def _list_url(status: str, category: str, owner: str = "", **extra: str | int) -> str:
    query = {"status": status, "category": category, "owner": owner, **extra}
    return "/admin/generations?" + urlencode({k: v for k, v in query.items() if v != ""})


async def _list_page(
    platform: Platform,
    staff: User,
    *,
    status: str,
    category: str,
    limit: int,
    owner: str = "",
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """The list page; on a refused filter or form, the reason instead of (or above) rows."""
    generations = []
    try:
        chosen, error_category = _filters(status, category)
        owner_id = _owner(owner)
        generations = await platform.generations.failures.list(
            staff, status=chosen, category=error_category, limit=limit, owner_id=owner_id
        )
    except ValidationError as exc:
        error, status_code = exc.message, 400
    owners = await platform.generations.failures.owner_emails(
        staff, (g.owner_id for g in generations)
    )
    voices = {v.id: v.name for v in await platform.voices.list_for(staff)}
    more = None
    if len(generations) == limit and limit < MAX_RETRY_IDS:
        more = _list_url(status, category, owner, limit=min(limit * 2, MAX_RETRY_IDS))
    return page(
        "backoffice/generations/list.html",
        status_code,
        user=staff,
        generations=generations,
        owners=owners,
        voices=voices,
        statuses=list(STATUS_CHOICES),
        categories=[str(c) for c in ErrorCategory],
        filters={"status": status, "category": category, "owner": owner},
        more=more,
        capped=len(generations) == limit and more is None,
        limit=limit,
        notice=notice,
        error=error,
    )


def _action(path: str) -> post:
    """A form's POST, answered with a redirect (303) back to a page."""
    return post(path, status_code=303)


@get("/admin/generations")
async def admin_generations(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    status: FromQuery[str] = str(GenerationStatus.FAILED),
    category: FromQuery[str] = "",
    limit: FromQuery[int] = PAGE,
    retried: FromQuery[int | None] = None,
    skipped: FromQuery[int] = 0,
    owner: FromQuery[str] = "",
) -> Template:
    """Every owner's generations in a status (failed by default), latest change first.

    No cursor: the newest `limit` rows, and "Show more" doubles it up to the most a
    retry of many takes; older ones are reached by narrowing the filters.
    """
    notice = None
    if retried is not None:
        notice = f"Requeued {retried} generation{'' if retried == 1 else 's'}."
        if skipped:
            notice += f" {skipped} could not be retried: no longer failed, or gone."
    return await _list_page(
        platform,
        staff,
        status=status or str(GenerationStatus.FAILED),
        category=category,
        limit=max(1, min(limit, MAX_RETRY_IDS)),
        owner=owner,
        notice=notice,
    )


@_action("/admin/generations/retry")
async def admin_retry_selected(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """ "Retry selected": each ticked generation that is still failed is requeued; the
    list comes back saying how many were, and how many were skipped."""
    form = await request.form()
    status = str(form.get("status") or GenerationStatus.FAILED)
    category = str(form.get("category", ""))
    try:
        ids = [UUID(str(value)) for value in form.getall("ids", [])]
    except ValueError:
        ids = []
    if not ids or len(ids) > MAX_RETRY_IDS:
        return await _list_page(
            platform,
            staff,
            status=status,
            category=category,
            limit=PAGE,
            error="Tick the generations to retry first."
            if not ids
            else f"Retry at most {MAX_RETRY_IDS} generations at once.",
            status_code=422,
        )
    report = await platform.generations.failures.retry_many(
        staff, ids, ip=client_address(request, platform)
    )
    return Redirect(
        _list_url(status, category, retried=len(report.retried), skipped=len(report.skipped)),
        status_code=303,
    )


async def _detail_page(
    platform: Platform,
    staff: User,
    generation_id: UUID,
    *,
    notice: str | None = None,
    error: str | None = None,
    edit_text: str | None = None,
    edit_voice_id: str | None = None,
    status_code: int = 200,
) -> Template:
    """One generation with everything a staff member needs to decide: its owner, attempts with
    technical detail, versions, and the forms its status allows."""
    detail = await platform.generations.failures.detail(staff, generation_id)
    generation = detail.generation
    owners = await platform.generations.failures.owner_emails(staff, [generation.owner_id])
    every_voice = {v.id: v.name for v in await platform.voices.list_for(staff)}
    return page(
        "backoffice/generations/detail.html",
        status_code,
        user=staff,
        generation=generation,
        g=await generation_out(platform, generation),
        owner_email=owners.get(generation.owner_id),
        voice_name=every_voice.get(generation.voice_id, "a removed voice"),
        attempts=detail.attempts,
        revisions=await platform.generations.revisions.revisions_of(generation),
        # What an edit may pick: the voices a request may use (published, provider here).
        voices=await platform.voices.list_for(None),
        edit_refused=edit_text is not None,
        edit_text=generation.text if edit_text is None else edit_text,
        edit_voice_id=str(generation.voice_id) if edit_voice_id is None else edit_voice_id,
        notice=notice,
        error=error,
    )


@get("/admin/generations/{generation_id:uuid}")
async def admin_generation(
    generation_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
) -> Template:
    return await _detail_page(platform, staff, generation_id, notice=NOTICES.get(done))


async def _act(
    request: Request[Any, Any, Any],
    platform: Platform,
    staff: User,
    generation_id: UUID,
    action: Callable[[str], Awaitable[object]],
    *,
    done: str,
    edit_text: str | None = None,
    edit_voice_id: str | None = None,
) -> Response[Any]:
    """Run one of the detail page's actions with the client's address (for the audit
    log): back to the page with a notice, or the page again with the refusal."""
    try:
        await action(client_address(request, platform))
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _detail_page(
            platform,
            staff,
            generation_id,
            error=exc.message,
            edit_text=edit_text,
            edit_voice_id=edit_voice_id,
            status_code=status,
        )
    return Redirect(f"/admin/generations/{generation_id}?done={done}", status_code=303)


def _status_button(
    path: str,
    change: Callable[[GenerationFailures], Callable[..., Awaitable[object]]],
    *,
    done: str,
) -> HTTPRouteHandler:
    """A button of the detail page that moves the generation on (retry, cancel) with the
    failures use case `change`."""

    @_action(path)
    async def press(
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        async def run(ip: str) -> object:
            return await change(platform.generations.failures)(staff, generation_id, ip=ip)

        return await _act(request, platform, staff, generation_id, run, done=done)

    return press


admin_retry = _status_button(
    "/admin/generations/{generation_id:uuid}/retry", lambda failures: failures.retry, done="retried"
)
admin_cancel = _status_button(
    "/admin/generations/{generation_id:uuid}/cancel",
    lambda failures: failures.cancel,
    done="cancelled",
)


@_action("/admin/generations/{generation_id:uuid}/edit")
async def admin_edit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """ "Edit and requeue": the text and voice as sent make the new version (the use case
    refuses an edit that changes nothing, or a voice that cannot speak); a refusal
    keeps what was typed."""
    text, voice = data.get("text", ""), data.get("voice_id", "")

    async def edit(ip: str) -> object:
        try:
            voice_id = UUID(voice)
        except ValueError:
            raise ValidationError("Pick a voice.", code="unknown_voice") from None
        return await platform.generations.revisions.edit_failed(
            staff, generation_id, Edit(text=text, voice_id=voice_id), ip=ip
        )

    return await _act(
        request,
        platform,
        staff,
        generation_id,
        edit,
        done="edited",
        edit_text=text,
        edit_voice_id=voice,
    )
