"""The help pages: a user's tickets and a new-ticket form (`/support`), a ticket opened
from a failed generation (`/support/new?generation=ID`), and a ticket's thread with a
reply form (`/support/{id}`). Another user's ticket is the not-found page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.support.tickets import FailedGenerationSummary
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.domain.support.tickets import STATUS_LABELS
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

NOTICES = {
    "opened": "Your ticket is open. We answer here and by mail.",
    "replied": "Your answer is sent.",
}
_REPLY_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)


def _generation_id(value: str) -> UUID | None:
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise ValidationError(
            "That link names no generation; open the ticket from the generation's page.",
            code="unknown_generation",
        ) from None


async def _help_page(
    platform: Platform,
    user: User,
    *,
    status: int = 200,
    error: str | None = None,
    subject: str = "",
    body: str = "",
    about: FailedGenerationSummary | None = None,
    template: str = "support/help.html",
) -> Template:
    return page(
        template,
        status,
        user=user,
        tickets=await platform.support.help_desk.mine(user) if about is None else [],
        labels=STATUS_LABELS,
        about=about,
        subject=subject,
        body=body,
        error=error,
        handles_tickets=can(user, Permission.HANDLE_TICKETS),
    )


@get("/support")
async def help_page(user: NamedDependency[User], platform: NamedDependency[Platform]) -> Template:
    return await _help_page(platform, user)


@get("/support/new")
async def new_ticket_page(
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
    generation: FromQuery[str] = "",
) -> Template:
    """The new-ticket form; from a failed generation's page it says which one it is about."""
    generation_id = _generation_id(generation)
    if generation_id is None:
        return await _help_page(platform, user, template="support/new.html")
    about = await platform.support.help_desk.about_generation(user, generation_id)
    subject = "My spoken QR code could not be made" if about.failed else ""
    return await _help_page(
        platform, user, about=about, subject=subject, template="support/new.html"
    )


@post("/support/new", status_code=303)
async def new_ticket_submit(
    request: Request[Any, Any, Any],
    data: Form,
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    subject, body = data.get("subject", ""), data.get("message", "")
    about = None
    try:
        generation_id = _generation_id(data.get("generation_id", ""))
        if generation_id is not None:
            about = await platform.support.help_desk.about_generation(user, generation_id)
        thread = await platform.support.help_desk.open(
            user,
            subject=subject,
            body=body,
            generation_id=generation_id,
            user_agent=request.headers.get("user-agent", ""),
        )
    except ValidationError as exc:
        return await _help_page(
            platform,
            user,
            status=refusal_status(exc),
            error=exc.message,
            subject=subject,
            body=body,
            about=about,
            template="support/new.html",
        )
    return Redirect(f"/support/{thread.ticket.id}?done=opened", status_code=303)


async def _ticket_page(
    platform: Platform,
    user: User,
    ticket_id: UUID,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    body: str = "",
) -> Template:
    thread = await platform.support.help_desk.thread(user, ticket_id)
    return page(
        "support/ticket.html",
        status,
        user=user,
        ticket=thread.ticket,
        messages=thread.messages,
        labels=STATUS_LABELS,
        notice=notice,
        error=error,
        body=body,
    )


@get("/support/{ticket_id:uuid}")
async def ticket_page(
    ticket_id: FromPath[UUID],
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
) -> Template:
    return await _ticket_page(platform, user, ticket_id, notice=NOTICES.get(done))


@post("/support/{ticket_id:uuid}/reply", status_code=303)
async def reply_submit(
    ticket_id: FromPath[UUID],
    data: Form,
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    body = data.get("message", "")
    try:
        await platform.support.help_desk.reply(user, ticket_id, body)
    except DomainError as exc:
        status = refusal_status(exc, _REPLY_REFUSALS)
        return await _ticket_page(
            platform, user, ticket_id, status=status, error=exc.message, body=body
        )
    return Redirect(f"/support/{ticket_id}?done=replied#messages", status_code=303)
