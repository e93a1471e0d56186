"""The support queue in the JSON API: /api/v1/admin/support/..., the same use cases as
the staff pages and the CLI (every change audited, with its reason)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from msgspec import UNSET, UnsetType

from voiceqr.application.support.ports import UNASSIGNED, QueueFilter
from voiceqr.application.support.queue import MAX_QUEUE_PAGE, StaffTicket, TicketChange
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.support.tickets import MAX_BODY, MAX_REASON, Priority, Ticket, TicketStatus
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, client_address
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, Email, multi_line, one_line
from voiceqr.entrypoints.http.support.schemas import MessageOut
from voiceqr.entrypoints.http.support.views import message_out

Reason = Annotated[str, one_line(MAX_REASON)]
ME = "me"


class StaffMessageOut(MessageOut):
    internal: bool


class AdminTicketSummary(msgspec.Struct):
    id: UUID
    subject: str
    status: str
    priority: str
    requester_id: UUID
    requester_email: str | None
    assignee_id: UUID | None
    assignee_email: str | None
    generation_id: UUID | None
    created_at: datetime
    updated_at: datetime


class AdminTicketOut(AdminTicketSummary):
    error_category: str | None
    error_code: str | None
    voice_id: UUID | None
    voice_name: str | None
    browser: str
    first_reply_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    seconds_to_first_reply: float | None
    seconds_to_resolution: float | None
    messages: list[StaffMessageOut]


class AdminTicketList(msgspec.Struct):
    items: list[AdminTicketSummary]
    next_cursor: str | None


class StaffMessageIn(Body):
    message: Annotated[str, multi_line(MAX_BODY)]
    internal: bool = False  # an internal note: never shown to the user, never mailed


class TicketPatch(Body):
    reason: Reason
    status: TicketStatus | UnsetType = UNSET
    priority: Priority | UnsetType = UNSET
    assignee_email: Email | UnsetType = UNSET  # "" unassigns


class ReasonIn(Body):
    reason: Reason


class RetryOut(msgspec.Struct):
    generation_id: UUID
    status: str


class CannedReplyOut(msgspec.Struct):
    title: str
    body: str


def _summary(ticket: Ticket, requester: str | None, assignee: str | None) -> AdminTicketSummary:
    return AdminTicketSummary(
        id=ticket.id,
        subject=ticket.subject,
        status=str(ticket.status),
        priority=str(ticket.priority),
        requester_id=ticket.requester_id,
        requester_email=requester,
        assignee_id=ticket.assignee_id,
        assignee_email=assignee,
        generation_id=ticket.generation_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
    )


def admin_ticket_out(view: StaffTicket) -> AdminTicketOut:
    ticket = view.thread.ticket
    summary = _summary(
        ticket,
        None if view.requester is None else view.requester.email,
        None if view.assignee is None else view.assignee.email,
    )
    first, resolution = ticket.time_to_first_reply, ticket.time_to_resolution
    return AdminTicketOut(
        **msgspec.structs.asdict(summary),
        error_category=ticket.error_category,
        error_code=ticket.error_code,
        voice_id=ticket.voice_id,
        voice_name=view.voice_name,
        browser=ticket.browser,
        first_reply_at=ticket.first_reply_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        seconds_to_first_reply=None if first is None else first.total_seconds(),
        seconds_to_resolution=None if resolution is None else resolution.total_seconds(),
        messages=[
            StaffMessageOut(**msgspec.structs.asdict(message_out(m)), internal=m.internal)
            for m in view.thread.messages
        ],
    )


def queue_filter(
    staff: User,
    *,
    status: str = "",
    priority: str = "",
    assignee: str = "",
    generation: str = "",
    q: str = "",
) -> QueueFilter:
    """The queue's filters as the page and the API take them; a value no form offers is
    a ValidationError. `assignee`: "me", "unassigned" or "" (anyone)."""
    assignees: dict[str, UUID | str | None] = {ME: staff.id, UNASSIGNED: UNASSIGNED, "": None}
    try:
        return QueueFilter(
            status=TicketStatus(status) if status else None,
            priority=Priority(priority) if priority else None,
            assignee=assignees[assignee],
            has_generation={"yes": True, "no": False, "": None}[generation],
            search=q.strip(),
        )
    except (ValueError, KeyError):
        raise ValidationError(
            "Pick the status, priority, assignee and generation filters from the lists.",
            code="unknown_filter",
        ) from None


class AdminSupportController(Controller):
    path = "/admin/support"
    tags = ["admin"]
    opt = api_key_scopes(GET=Scope.ADMIN, POST=Scope.ADMIN, PATCH=Scope.ADMIN)

    @get("/tickets", cache_control=NO_STORE_REPLY)
    async def list_tickets(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        status: FromQuery[str] = "",
        priority: FromQuery[str] = "",
        assignee: Annotated[
            str, QueryParameter(description='"me", "unassigned", or empty for anyone')
        ] = "",
        generation: Annotated[
            str, QueryParameter(description='"yes": about a generation, "no": not, empty: any')
        ] = "",
        q: Annotated[str, QueryParameter(max_length=200)] = "",
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_QUEUE_PAGE)] = 25,
    ) -> AdminTicketList:
        """The queue, newest first: filters, a search of subjects and requester emails,
        and `next_cursor` for the next page."""
        which = queue_filter(
            staff, status=status, priority=priority, assignee=assignee, generation=generation, q=q
        )
        found = await platform.support.queue.queue(staff, which, cursor=cursor, limit=limit)
        return AdminTicketList(
            items=[_summary(i.ticket, i.requester_email, i.assignee_email) for i in found.items],
            next_cursor=found.next_cursor,
        )

    @get("/tickets/{ticket_id:uuid}", cache_control=NO_STORE_REPLY)
    async def get_ticket(
        self,
        ticket_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AdminTicketOut:
        """One ticket with every message, internal notes included, and its clocks."""
        return admin_ticket_out(await platform.support.queue.ticket(staff, ticket_id))

    @post("/tickets/{ticket_id:uuid}/messages", responses=problems(409))
    async def add_message(
        self,
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: JSONBody[StaffMessageIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AdminTicketOut:
        """A reply to the user (mailed and/or shown as a notice, as they chose) or, with
        `internal`, a note for staff."""
        await platform.support.queue.reply(
            staff,
            ticket_id,
            data.message,
            internal=data.internal,
            ip=client_address(request, platform),
        )
        return admin_ticket_out(await platform.support.queue.ticket(staff, ticket_id))

    @patch("/tickets/{ticket_id:uuid}", status_code=HTTP_200_OK, responses=problems(409))
    async def change_ticket(
        self,
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: JSONBody[TicketPatch],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AdminTicketOut:
        """Set the status, priority and/or assignee (by email; "" unassigns), with a
        reason for the audit log. A closed ticket is 409."""
        change = TicketChange(
            status=None if isinstance(data.status, UnsetType) else data.status,
            priority=None if isinstance(data.priority, UnsetType) else data.priority,
            assignee_email=None
            if isinstance(data.assignee_email, UnsetType)
            else data.assignee_email,
        )
        await platform.support.queue.change(
            staff, ticket_id, change, reason=data.reason, ip=client_address(request, platform)
        )
        return admin_ticket_out(await platform.support.queue.ticket(staff, ticket_id))

    @post("/tickets/{ticket_id:uuid}/close", status_code=HTTP_200_OK, responses=problems(409))
    async def close_ticket(
        self,
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AdminTicketOut:
        """Close the ticket for good (the user can no longer answer on it)."""
        await platform.support.queue.close(
            staff, ticket_id, reason=data.reason, ip=client_address(request, platform)
        )
        return admin_ticket_out(await platform.support.queue.ticket(staff, ticket_id))

    @post(
        "/tickets/{ticket_id:uuid}/retry-generation",
        status_code=HTTP_200_OK,
        responses=problems(409),
    )
    async def retry_generation(
        self,
        request: Request[Any, Any, Any],
        ticket_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> RetryOut:
        """Requeue the failed generation the ticket is about (409 if it has none, or it
        is no longer failed)."""
        generation = await platform.support.queue.retry_generation(
            staff, ticket_id, reason=data.reason, ip=client_address(request, platform)
        )
        return RetryOut(generation_id=generation.id, status=str(generation.status))

    @get("/canned-replies", cache_control=NO_STORE_REPLY)
    async def canned_replies(
        self, platform: NamedDependency[Platform], staff: NamedDependency[User]
    ) -> list[CannedReplyOut]:
        """The replies staff start from (a list kept in the code for now)."""
        return [
            CannedReplyOut(title=c.title, body=c.body)
            for c in platform.support.queue.canned_replies(staff)
        ]
