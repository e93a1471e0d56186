"""Tickets as the API and the pages show them to their requester (the staff pages add
their notes and people)."""

from __future__ import annotations

import msgspec

from voiceqr.application.support.tickets import TicketThread
from voiceqr.domain.support.tickets import Ticket, TicketMessage
from voiceqr.entrypoints.http.support.schemas import MessageOut, TicketOut, TicketSummary


def message_out(message: TicketMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author_label,
        from_staff=message.from_staff,
        body=message.body,
        created_at=message.created_at,
    )


def ticket_summary(ticket: Ticket) -> TicketSummary:
    return TicketSummary(
        id=ticket.id,
        subject=ticket.subject,
        status=str(ticket.status),
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        generation_id=ticket.generation_id,
    )


def ticket_out(thread: TicketThread) -> TicketOut:
    ticket = thread.ticket
    return TicketOut(
        **msgspec.structs.asdict(ticket_summary(ticket)),
        error_category=ticket.error_category,
        error_code=ticket.error_code,
        messages=[message_out(m) for m in thread.messages if not m.internal],
    )
