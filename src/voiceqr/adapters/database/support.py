"""Support tickets on SQLAlchemy Core: tickets and their threads.

A ticket goes with its requester's account (deleted with it); a staff member who
leaves, or a generation deleted, leaves the ticket in place without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    RowMapping,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.accounts import users
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.support.ports import (
    UNASSIGNED,
    QueueFilter,
    TicketMessageRepository,
    TicketRepository,
)
from voiceqr.domain.support.tickets import Priority, Ticket, TicketMessage, TicketStatus

tickets = Table(
    "support_tickets",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("requester_id", "users", nullable=False),
    Column("subject", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("assignee_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("generation_id", GUID, ForeignKey("generations.id", ondelete="SET NULL")),
    Column("error_category", String(50)),
    Column("error_code", String(100)),
    Column("voice_id", GUID),
    Column("browser", String(200), nullable=False, server_default=""),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Column("first_reply_at", DateTimeUTC),
    Column("resolved_at", DateTimeUTC),
    Column("closed_at", DateTimeUTC),
    # The queue newest first; a requester's own list; the auto-close job.
    Index("ix_support_tickets_created", "created_at", "id"),
    Index("ix_support_tickets_requester_created", "requester_id", "created_at"),
    Index("ix_support_tickets_status_resolved", "status", "resolved_at"),
)

ticket_messages = Table(
    "support_ticket_messages",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("ticket_id", "support_tickets", nullable=False),
    Column("author_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("author_label", String(254), nullable=False),
    Column("from_staff", Boolean, nullable=False),
    Column("internal", Boolean, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_support_ticket_messages_ticket_created", "ticket_id", "created_at"),
)


def _row(ticket: Ticket) -> dict[str, Any]:
    row = row_of(tickets, ticket)
    row["status"], row["priority"] = str(ticket.status), str(ticket.priority)
    return row


def _ticket(row: RowMapping) -> Ticket:
    values = dict(row)
    values["status"] = TicketStatus(values["status"])
    values["priority"] = Priority(values["priority"])
    return Ticket(**values)


def _newest_first(after: HistoryPosition | None) -> list[ColumnElement[bool]]:
    if after is None:
        return []
    c = tickets.c
    return [
        or_(
            c.created_at < after.created_at,
            and_(c.created_at == after.created_at, c.id < after.id),
        )
    ]


def _queue_conditions(which: QueueFilter) -> list[ColumnElement[bool]]:
    c = tickets.c
    found: list[ColumnElement[bool]] = []
    if which.status is not None:
        found.append(c.status == str(which.status))
    if which.priority is not None:
        found.append(c.priority == str(which.priority))
    if which.assignee == UNASSIGNED:
        found.append(c.assignee_id.is_(None))
    elif isinstance(which.assignee, UUID):
        found.append(c.assignee_id == which.assignee)
    if which.has_generation is True:
        found.append(c.generation_id.is_not(None))
    elif which.has_generation is False:
        found.append(c.generation_id.is_(None))
    term = which.search.strip().lower()
    if term:
        found.append(
            or_(
                func.lower(c.subject).contains(term, autoescape=True),
                func.lower(users.c.email).contains(term, autoescape=True),
            )
        )
    return found


class SqlTickets(Repository):
    async def add(self, ticket: Ticket) -> None:
        await self._db.execute(insert(tickets).values(_row(ticket)))

    async def get(self, ticket_id: UUID) -> Ticket | None:
        row = await self._first(select(tickets).where(tickets.c.id == ticket_id))
        return None if row is None else _ticket(row)

    async def get_for_requester(self, ticket_id: UUID, requester_id: UUID) -> Ticket | None:
        row = await self._first(
            select(tickets).where(tickets.c.id == ticket_id, tickets.c.requester_id == requester_id)
        )
        return None if row is None else _ticket(row)

    async def update(self, ticket: Ticket) -> None:
        await self._db.execute(
            update(tickets).where(tickets.c.id == ticket.id).values(_row(ticket))
        )

    async def list_for_requester(self, requester_id: UUID) -> list[Ticket]:
        c = tickets.c
        query = (
            select(tickets)
            .where(c.requester_id == requester_id)
            .order_by(c.created_at.desc(), c.id.desc())
        )
        return [_ticket(row) for row in await self._rows(query)]

    async def queue(
        self, which: QueueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Ticket]:
        c = tickets.c
        query = (
            select(tickets)
            .select_from(tickets.join(users, users.c.id == c.requester_id))
            .where(*_queue_conditions(which), *_newest_first(after))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_ticket(row) for row in await self._rows(query)]

    async def resolved_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]:
        c = tickets.c
        query = (
            select(tickets)
            .where(c.status == str(TicketStatus.RESOLVED), c.resolved_at <= cutoff)
            .order_by(c.resolved_at)
            .limit(limit)
        )
        return [_ticket(row) for row in await self._rows(query)]

    async def opened_before(
        self, requester_id: UUID, *, before: datetime, limit: int
    ) -> list[Ticket]:
        c = tickets.c
        query = (
            select(tickets)
            .where(c.requester_id == requester_id, c.created_at <= before)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_ticket(row) for row in await self._rows(query)]


class SqlTicketMessages(Repository):
    async def add(self, message: TicketMessage) -> None:
        await self._db.execute(insert(ticket_messages).values(row_of(ticket_messages, message)))

    async def thread(self, ticket_id: UUID, *, internal: bool) -> list[TicketMessage]:
        m = ticket_messages.c
        query = select(ticket_messages).where(m.ticket_id == ticket_id)
        if not internal:
            query = query.where(m.internal.is_(False))
        query = query.order_by(m.created_at, m.id)
        return [TicketMessage(**row) for row in await self._rows(query)]

    async def threads(self, ticket_ids: Sequence[UUID]) -> dict[UUID, list[TicketMessage]]:
        found: dict[UUID, list[TicketMessage]] = {tid: [] for tid in ticket_ids}
        if not ticket_ids:
            return found
        m = ticket_messages.c
        query = (
            select(ticket_messages)
            .where(m.ticket_id.in_(list(ticket_ids)))
            .order_by(m.created_at, m.id)
        )
        for row in await self._rows(query):
            found[row["ticket_id"]].append(TicketMessage(**row))
        return found


class SupportPart(Part):
    """The support tickets feature's share of the unit of work."""

    tickets: TicketRepository
    ticket_messages: TicketMessageRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.tickets = SqlTickets(connection)
        self.ticket_messages = SqlTicketMessages(connection)
        super().attach(connection)
