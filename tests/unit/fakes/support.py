"""Fake support tickets and their threads."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.support.ports import (
    UNASSIGNED,
    QueueFilter,
    TicketMessageRepository,
    TicketRepository,
)
from voiceqr.domain.support.tickets import Ticket, TicketMessage, TicketStatus


class FakeTickets(Table):
    async def add(self, ticket: Ticket) -> None:
        self._db.tickets[ticket.id] = copy.deepcopy(ticket)
        self._wrote()

    async def get(self, ticket_id: UUID) -> Ticket | None:
        return copy.deepcopy(self._db.tickets.get(ticket_id))

    async def get_for_requester(self, ticket_id: UUID, requester_id: UUID) -> Ticket | None:
        found = self._db.tickets.get(ticket_id)
        return copy.deepcopy(found) if found and found.requester_id == requester_id else None

    async def update(self, ticket: Ticket) -> None:
        self._db.tickets[ticket.id] = copy.deepcopy(ticket)
        self._wrote()

    def _newest_first(self, tickets: list[Ticket]) -> list[Ticket]:
        return copy.deepcopy(sorted(tickets, key=lambda t: (t.created_at, t.id), reverse=True))

    async def list_for_requester(self, requester_id: UUID) -> list[Ticket]:
        return self._newest_first(
            [t for t in self._db.tickets.values() if t.requester_id == requester_id]
        )

    def _matches(self, t: Ticket, which: QueueFilter) -> bool:
        requester = self._db.users.get(t.requester_id)
        term = which.search.strip().lower()
        return (
            (which.status is None or t.status is which.status)
            and (which.priority is None or t.priority is which.priority)
            and (
                which.assignee is None
                or (which.assignee == UNASSIGNED and t.assignee_id is None)
                or t.assignee_id == which.assignee
            )
            and (
                which.has_generation is None
                or (t.generation_id is not None) == which.has_generation
            )
            and (
                not term
                or term in t.subject.lower()
                or (requester is not None and term in requester.email.lower())
            )
        )

    async def queue(
        self, which: QueueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Ticket]:
        found = [
            t
            for t in self._db.tickets.values()
            if t.requester_id in self._db.users
            and self._matches(t, which)
            and (after is None or (t.created_at, t.id) < (after.created_at, after.id))
        ]
        return self._newest_first(found)[:limit]

    async def resolved_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]:
        found = [
            t
            for t in self._db.tickets.values()
            if t.status is TicketStatus.RESOLVED and t.resolved_at and t.resolved_at <= cutoff
        ]
        return copy.deepcopy(sorted(found, key=lambda t: t.resolved_at or cutoff)[:limit])

    async def opened_before(
        self, requester_id: UUID, *, before: datetime, limit: int
    ) -> list[Ticket]:
        found = [
            t
            for t in self._db.tickets.values()
            if t.requester_id == requester_id and t.created_at <= before
        ]
        return copy.deepcopy(sorted(found, key=lambda t: (t.created_at, t.id), reverse=True))[
            :limit
        ]


class FakeTicketMessages(Table):
    async def add(self, message: TicketMessage) -> None:
        self._db.ticket_messages.append(copy.deepcopy(message))
        self._wrote()

    async def thread(self, ticket_id: UUID, *, internal: bool) -> list[TicketMessage]:
        found = [
            m
            for m in self._db.ticket_messages
            if m.ticket_id == ticket_id and (internal or not m.internal)
        ]
        return copy.deepcopy(sorted(found, key=lambda m: (m.created_at, m.id)))

    async def threads(self, ticket_ids: Sequence[UUID]) -> dict[UUID, list[TicketMessage]]:
        return {tid: await self.thread(tid, internal=True) for tid in ticket_ids}


class SupportPart(Part):
    """The support tickets feature's fake repositories."""

    tickets: TicketRepository
    ticket_messages: TicketMessageRepository

    def attach(self) -> None:
        self.tickets = FakeTickets(self)
        self.ticket_messages = FakeTicketMessages(self)
        super().attach()
