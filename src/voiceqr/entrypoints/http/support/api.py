"""A user's support tickets in the JSON API: /api/v1/support/tickets.

Reading works with an API key of scope `read`; opening and answering need the browser
session. Another user's ticket is 404.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.support.schemas import MessageIn, TicketIn, TicketList, TicketOut
from voiceqr.entrypoints.http.support.views import ticket_out, ticket_summary


class TicketController(Controller):
    path = "/support/tickets"
    tags = ["support"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    @get("/", cache_control=NO_STORE_REPLY)
    async def list_tickets(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> TicketList:
        """Your tickets, newest first."""
        found = await platform.support.help_desk.mine(user)
        return TicketList(items=[ticket_summary(t) for t in found])

    @post("/", responses=problems(404))
    async def open_ticket(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TicketIn],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> TicketOut:
        """Open a ticket. With `generation_id` (a generation of yours) it carries that
        generation's error, its voice and your browser, so support sees what you saw."""
        thread = await platform.support.help_desk.open(
            user,
            subject=data.subject,
            body=data.message,
            generation_id=data.generation_id,
            user_agent=request.headers.get("user-agent", ""),
        )
        return ticket_out(thread)

    @get("/{ticket_id:uuid}", cache_control=NO_STORE_REPLY)
    async def get_ticket(
        self,
        ticket_id: FromPath[UUID],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> TicketOut:
        """One of your tickets with its messages, oldest first."""
        return ticket_out(await platform.support.help_desk.thread(user, ticket_id))

    @post("/{ticket_id:uuid}/messages", responses=problems(404, 409))
    async def add_message(
        self,
        ticket_id: FromPath[UUID],
        data: JSONBody[MessageIn],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> TicketOut:
        """Answer on your ticket: one waiting for you or resolved opens again; a closed
        one is 409 `ticket_closed` (open a new ticket)."""
        return ticket_out(await platform.support.help_desk.reply(user, ticket_id, data.message))
