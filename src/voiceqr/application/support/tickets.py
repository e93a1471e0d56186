"""The requester's side of support tickets: open one (from the help page or from a
failed generation), read the thread, answer. Also the readers other features build
on (the staff timeline of a user, the export of a user's data)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.support.ports import SupportUnitOfWork
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import NotFound
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.support.tickets import (
    FailedGenerationContext,
    Ticket,
    TicketMessage,
    browser_summary,
    check_body,
)


def ticket_not_found() -> NotFound:
    return NotFound("No such ticket.", code="ticket_not_found")


def new_message(
    ticket: Ticket,
    body: str,
    *,
    author_id: UUID | None,
    author_label: str,
    from_staff: bool,
    internal: bool,
    now: datetime,
) -> TicketMessage:
    return TicketMessage(
        id=uuid7(),
        ticket_id=ticket.id,
        author_id=author_id,
        author_label=author_label[:254],
        from_staff=from_staff,
        internal=internal,
        body=check_body(body),
        created_at=now,
    )


def _from_requester(ticket: Ticket, user: User, body: str, now: datetime) -> TicketMessage:
    return new_message(
        ticket,
        body,
        author_id=user.id,
        author_label=user.name or user.email,
        from_staff=False,
        internal=False,
        now=now,
    )


@dataclass(frozen=True, slots=True)
class TicketThread:
    """A ticket and the messages its reader may see, oldest first."""

    ticket: Ticket
    messages: list[TicketMessage]


@dataclass(frozen=True, slots=True)
class FailedGenerationSummary:
    """What the new-ticket form says about the generation it was opened from."""

    generation_id: UUID
    excerpt: str
    failed: bool
    error_message: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class HelpDesk:
    """A signed-in user's own tickets; another user's ticket is NotFound."""

    uow: Callable[[], SupportUnitOfWork]
    clock: Callable[[], datetime]

    async def about_generation(self, user: User, generation_id: UUID) -> FailedGenerationSummary:
        """The user's generation a new ticket would carry (another user's: NotFound)."""
        async with self.uow() as uow:
            generation = await uow.generations.get_owned(generation_id, user.id)
        if generation is None or generation.is_deleted:
            raise NotFound("No such generation.", code="generation_not_found")
        text = " ".join(generation.text.split())
        return FailedGenerationSummary(
            generation_id=generation.id,
            excerpt=text if len(text) <= 80 else text[:79] + "…",
            failed=generation.status is GenerationStatus.FAILED,
            error_message=generation.error_message,
        )

    async def open(
        self,
        user: User,
        *,
        subject: str,
        body: str,
        generation_id: UUID | None = None,
        user_agent: str = "",
    ) -> TicketThread:
        """Open a ticket with its first message. From a generation of the user's, the
        ticket carries it with its error category and code, and the voice."""
        now = self.clock()
        async with self.uow() as uow:
            failed = None
            if generation_id is not None:
                generation = await uow.generations.get_owned(generation_id, user.id)
                if generation is None or generation.is_deleted:
                    raise NotFound("No such generation.", code="generation_not_found")
                failed = FailedGenerationContext(
                    generation_id=generation.id,
                    error_category=None
                    if generation.error_category is None
                    else str(generation.error_category),
                    error_code=generation.error_code,
                    voice_id=generation.voice_id,
                )
            ticket = Ticket.open(
                requester_id=user.id,
                subject=subject,
                now=now,
                browser=browser_summary(user_agent),
                failed=failed,
            )
            message = _from_requester(ticket, user, body, now)
            await uow.tickets.add(ticket)
            await uow.ticket_messages.add(message)
            await uow.commit()
        return TicketThread(ticket, [message])

    async def mine(self, user: User) -> list[Ticket]:
        """The user's tickets, newest first."""
        async with self.uow() as uow:
            return await uow.tickets.list_for_requester(user.id)

    async def thread(self, user: User, ticket_id: UUID) -> TicketThread:
        """The user's ticket with its public messages (internal notes never)."""
        async with self.uow() as uow:
            ticket = await uow.tickets.get_for_requester(ticket_id, user.id)
            if ticket is None:
                raise ticket_not_found()
            return TicketThread(ticket, await uow.ticket_messages.thread(ticket_id, internal=False))

    async def reply(self, user: User, ticket_id: UUID, body: str) -> TicketThread:
        """The user answers; a ticket waiting for them or resolved opens again, a closed
        one refuses (Conflict)."""
        now = self.clock()
        async with self.uow() as uow:
            ticket = await uow.tickets.get_for_requester(ticket_id, user.id)
            if ticket is None:
                raise ticket_not_found()
            ticket.user_replied(now)
            message = _from_requester(ticket, user, body, now)
            await uow.ticket_messages.add(message)
            await uow.tickets.update(ticket)
            messages = await uow.ticket_messages.thread(ticket_id, internal=False)
            await uow.commit()
        return TicketThread(ticket, messages)

    # Readers for other features' use cases, which check who may ask first.

    async def tickets_for_export(self, user_id: UUID) -> list[TicketThread]:
        """Every ticket of the user with its public messages, newest first (internal
        notes are staff's working notes and stay out of the user's export)."""
        async with self.uow() as uow:
            tickets = await uow.tickets.list_for_requester(user_id)
            threads = await uow.ticket_messages.threads([t.id for t in tickets])
        return [
            TicketThread(t, [m for m in threads.get(t.id, []) if not m.internal]) for t in tickets
        ]
