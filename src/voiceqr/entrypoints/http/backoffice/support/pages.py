"""The support queue in the browser: `/admin/support` (filters, search, pages) and a
ticket's page, where a reply to the user and an internal note are two forms apart,
canned replies fill the reply, and status, priority, assignee, closing and retrying
the generation each ask for a reason (audited, with the client's address).

A refused form shows the page again with the reason and what was typed, and a 4xx.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.support.queue import TicketChange
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.domain.support.tickets import STAFF_STATUS_LABELS, Priority, TicketStatus
from voiceqr.entrypoints.http.backoffice.support.api import queue_filter
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

PAGE = 25
NOTICES = {
    "replied": "Your reply is on the ticket; the user is told as they chose (mail, a notice).",
    "noted": "Your internal note is on the ticket (the user does not see it).",
    "changed": "The ticket is changed.",
    "closed": "The ticket is closed.",
    "retried": "The generation is requeued with a new attempt budget.",
}
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.NOT_FOUND)


def duration(span: timedelta | None) -> str:
    """A service time as staff read it: "3 d 4 h", "2 h 5 min", "7 min", "under a minute"."""
    if span is None:
        return "not yet"
    minutes = int(span.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else "under a minute"


@get("/admin/support")
async def admin_queue(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    status: FromQuery[str] = "",
    priority: FromQuery[str] = "",
    assignee: FromQuery[str] = "",
    generation: FromQuery[str] = "",
    q: FromQuery[str] = "",
    cursor: FromQuery[str | None] = None,
) -> Template:
    filters = {
        "status": status,
        "priority": priority,
        "assignee": assignee,
        "generation": generation,
        "q": q[:200],
    }
    items, older, error, code = [], None, None, 200
    try:
        which = queue_filter(staff, **filters)
        found = await platform.support.queue.queue(staff, which, cursor=cursor, limit=PAGE)
        items = found.items
        if found.next_cursor:
            older = "/admin/support?" + urlencode({**filters, "cursor": found.next_cursor})
    except ValidationError as exc:
        error, code = exc.message, 400
    return page(
        "backoffice/support/queue.html",
        code,
        user=staff,
        items=items,
        filters=filters,
        filtered=any(filters.values()),
        statuses=list(TicketStatus),
        priorities=list(Priority),
        labels=STAFF_STATUS_LABELS,
        newest="/admin/support?" + urlencode(filters) if cursor else None,
        older=older,
        error=error,
    )


async def _ticket_page(
    platform: Platform,
    staff: User,
    ticket_id: UUID,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    reply: str = "",
    note: str = "",
) -> Template:
    view = await platform.support.queue.ticket(staff, ticket_id)
    generation = view.generation
    return page(
        "backoffice/support/ticket.html",
        status,
        user=staff,
        view=view,
        ticket=view.thread.ticket,
        messages=view.thread.messages,
        labels=STAFF_STATUS_LABELS,
        statuses=[s for s in TicketStatus if s is not TicketStatus.CLOSED],
        priorities=list(Priority),
        canned=platform.support.queue.canned_replies(staff),
        first_reply=duration(view.thread.ticket.time_to_first_reply),
        resolution=duration(view.thread.ticket.time_to_resolution),
        can_retry=generation is not None and generation.status is GenerationStatus.FAILED,
        notice=notice,
        error=error,
        reply=reply,
        note=note,
    )


@get("/admin/support/{ticket_id:uuid}")
async def admin_ticket(
    ticket_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
    canned: FromQuery[int | None] = None,
) -> Template:
    """A ticket; `?canned=N` fills the reply with the Nth canned reply (no script needed)."""
    replies = platform.support.queue.canned_replies(staff)
    reply = replies[canned].body if canned is not None and 0 <= canned < len(replies) else ""
    return await _ticket_page(platform, staff, ticket_id, notice=NOTICES.get(done), reply=reply)


async def _act(
    request: Request[Any, Any, Any],
    platform: Platform,
    staff: User,
    ticket_id: UUID,
    action: Callable[[str], Awaitable[object]],
    *,
    done: str,
    reply: str = "",
    note: str = "",
) -> Response[Any]:
    try:
        await action(client_address(request, platform))
    except DomainError as exc:
        return await _ticket_page(
            platform,
            staff,
            ticket_id,
            status=refusal_status(exc, _SHOWN_ON_PAGE),
            error=exc.message,
            reply=reply,
            note=note,
        )
    return Redirect(f"/admin/support/{ticket_id}?done={done}", status_code=303)


def _message_form(path: str, *, internal: bool) -> Any:
    """The reply form or the note form: the same use case, told apart by `internal`."""

    @post(path, status_code=303)
    async def submit(
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: Form,
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        text = data.get("message", "")

        async def send(ip: str) -> object:
            return await platform.support.queue.reply(
                staff, ticket_id, text, internal=internal, ip=ip
            )

        return await _act(
            request,
            platform,
            staff,
            ticket_id,
            send,
            done="noted" if internal else "replied",
            reply="" if internal else text,
            note=text if internal else "",
        )

    return submit


admin_reply = _message_form("/admin/support/{ticket_id:uuid}/reply", internal=False)
admin_note = _message_form("/admin/support/{ticket_id:uuid}/note", internal=True)


@post("/admin/support/{ticket_id:uuid}/change", status_code=303)
async def admin_change(
    request: Request[Any, Any, Any],
    ticket_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Status, priority and assignee in one form; what is left as it was is not changed."""

    async def change(ip: str) -> object:
        view = await platform.support.queue.ticket(staff, ticket_id)
        ticket = view.thread.ticket
        try:
            status = TicketStatus(data.get("status") or ticket.status)
            priority = Priority(data.get("priority") or ticket.priority)
        except ValueError:
            raise ValidationError(
                "Pick a status and a priority from the lists.", code="unknown_choice"
            ) from None
        if status is TicketStatus.CLOSED:
            raise ValidationError("Close the ticket with its own button.", code="close_apart")
        assignee = data.get("assignee_email", "").strip().lower()
        current = "" if view.assignee is None else view.assignee.email
        return await platform.support.queue.change(
            staff,
            ticket_id,
            TicketChange(
                status=None if status is ticket.status else status,
                priority=None if priority is ticket.priority else priority,
                assignee_email=None if assignee == current else assignee,
            ),
            reason=data.get("reason", ""),
            ip=ip,
        )

    return await _act(request, platform, staff, ticket_id, change, done="changed")


def _with_reason(
    path: str,
    action: Callable[[Platform], Callable[..., Awaitable[object]]],
    *,
    done: str,
) -> Any:
    """A button that runs the queue's use case `action` with the form's reason."""

    @post(path, status_code=303)
    async def press(
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: Form,
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        async def run(ip: str) -> object:
            return await action(platform)(staff, ticket_id, reason=data.get("reason", ""), ip=ip)

        return await _act(request, platform, staff, ticket_id, run, done=done)

    return press


admin_close = _with_reason(
    "/admin/support/{ticket_id:uuid}/close", lambda p: p.support.queue.close, done="closed"
)
admin_retry = _with_reason(
    "/admin/support/{ticket_id:uuid}/retry",
    lambda p: p.support.queue.retry_generation,
    done="retried",
)
