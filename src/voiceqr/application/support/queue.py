"""The staff side of support tickets: the queue, a ticket with its internal notes,
replies and notes, status, priority and assignee, retrying the failed generation a
ticket is about, and the job that closes tickets resolved long ago.

Every staff action needs the ticket permission and is written to the audit log in
its transaction; a public reply mails the requester through the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.support.ports import QueueFilter, SupportUnitOfWork
from voiceqr.application.support.tickets import TicketThread, new_message, ticket_not_found
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor, Permission, can, require
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.mail.preferences import MailKind
from voiceqr.domain.shared.errors import Conflict, NotFound, ValidationError
from voiceqr.domain.support.tickets import (
    AUTO_CLOSE_AFTER,
    CANNED_REPLIES,
    CannedReply,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
    check_reason,
)

log = logging.getLogger(__name__)

MAX_QUEUE_PAGE = 100
EVERY_TICKET = QueueFilter()
EXCERPT = 300

# Retry a failed generation as the staff member (the generations feature's recovery).
RetryGeneration = Callable[[Actor, UUID, str], Awaitable[Generation]]


@dataclass(frozen=True, slots=True)
class QueueItem:
    ticket: Ticket
    requester_email: str
    assignee_email: str | None


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class StaffTicket:
    """A ticket as staff see it: every message, notes included, and who is involved."""

    thread: TicketThread
    requester: User | None
    assignee: User | None
    voice_name: str | None
    generation: Generation | None


@dataclass(frozen=True, slots=True)
class TicketChange:
    """What staff change on a ticket; None leaves it. `assignee_email` "" unassigns."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee_email: str | None = None


def _label(actor: Actor) -> str:
    if isinstance(actor, User):
        return actor.name or actor.email
    return "voiceqr support"


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportQueue:
    uow: Callable[[], SupportUnitOfWork]
    notifications: Notifications
    retry_failed: RetryGeneration
    clock: Callable[[], datetime]

    def canned_replies(self, actor: Actor) -> tuple[CannedReply, ...]:
        require(actor, Permission.HANDLE_TICKETS)
        return CANNED_REPLIES

    async def queue(
        self,
        actor: Actor,
        which: QueueFilter = EVERY_TICKET,
        *,
        cursor: str | None = None,
        limit: int = 25,
    ) -> QueuePage:
        """Tickets newest first, filtered; keyset paged by `cursor`."""
        require(actor, Permission.HANDLE_TICKETS)
        if not 1 <= limit <= MAX_QUEUE_PAGE:
            raise ValidationError(f"Ask for 1 to {MAX_QUEUE_PAGE} tickets.", code="bad_limit")
        if len(which.search) > 200:
            raise ValidationError("Search for 200 characters at most.", code="search_too_long")
        after = None if not cursor else decode_cursor(cursor)
        async with self.uow() as uow:
            found = await uow.tickets.queue(which, after=after, limit=limit + 1)
            people = {
                uid: await uow.users.get(uid)
                for uid in {t.requester_id for t in found}
                | {t.assignee_id for t in found if t.assignee_id}
            }
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(HistoryPosition(items[-1].created_at, items[-1].id))

        def email(uid: UUID | None) -> str | None:
            person = people.get(uid) if uid else None
            return None if person is None else person.email

        return QueuePage(
            [
                QueueItem(t, email(t.requester_id) or "a removed account", email(t.assignee_id))
                for t in items
            ],
            next_cursor,
        )

    async def ticket(self, actor: Actor, ticket_id: UUID) -> StaffTicket:
        require(actor, Permission.HANDLE_TICKETS)
        async with self.uow() as uow:
            return await self._staff_view(uow, await self._get(uow, ticket_id))

    async def reply(
        self, actor: Actor, ticket_id: UUID, body: str, *, internal: bool = False, ip: str = ""
    ) -> TicketMessage:
        """A public reply (mailed to the requester, who sees it on the ticket) or an
        internal note (staff only, never mailed)."""
        require(actor, Permission.HANDLE_TICKETS)
        now = self.clock()
        async with self.uow() as uow:
            ticket = await self._get(uow, ticket_id)
            ticket.staff_replied(now, internal=internal)
            message = new_message(
                ticket,
                body,
                author_id=actor.id,
                author_label=_label(actor),
                from_staff=True,
                internal=internal,
                now=now,
            )
            await uow.ticket_messages.add(message)
            await uow.tickets.update(ticket)
            if not internal:
                await self._notify_requester(uow, ticket, message)
            await record(
                uow,
                actor,
                "ticket.note" if internal else "ticket.reply",
                target=("ticket", ticket.id),
                now=now,
                ip=ip,
                details={"requester_id": str(ticket.requester_id), "status": str(ticket.status)},
            )
            await uow.commit()
        return message

    async def change(
        self, actor: Actor, ticket_id: UUID, change: TicketChange, *, reason: str, ip: str = ""
    ) -> Ticket:
        """Set the status, priority and/or assignee, with a reason (audited)."""
        require(actor, Permission.HANDLE_TICKETS)
        reason = check_reason(reason)
        now = self.clock()
        async with self.uow() as uow:
            ticket = await self._get(uow, ticket_id)
            details: dict[str, object] = {"reason": reason}
            if change.assignee_email is not None:
                assignee = await self._assignee(uow, change.assignee_email)
                ticket.assign(None if assignee is None else assignee.id, now)
                details["assignee"] = "" if assignee is None else assignee.email
            if change.priority is not None:
                ticket.prioritise(change.priority, now)
                details["priority"] = str(change.priority)
            if change.status is not None:
                ticket.move_to(change.status, now)
                details["status"] = str(change.status)
            if len(details) == 1:
                raise ValidationError("Change the status, priority or assignee.", code="no_change")
            await uow.tickets.update(ticket)
            await record(
                uow,
                actor,
                "ticket.update",
                target=("ticket", ticket.id),
                now=now,
                ip=ip,
                details=details,
            )
            await uow.commit()
        return ticket

    async def close(self, actor: Actor, ticket_id: UUID, *, reason: str, ip: str = "") -> Ticket:
        return await self.change(
            actor, ticket_id, TicketChange(status=TicketStatus.CLOSED), reason=reason, ip=ip
        )

    async def retry_generation(
        self, actor: Actor, ticket_id: UUID, *, reason: str, ip: str = ""
    ) -> Generation:
        """Retry the failed generation the ticket is about (the generations feature's
        staff retry, audited there), then note it on the ticket (audited here)."""
        require(actor, Permission.HANDLE_TICKETS)
        reason = check_reason(reason)
        async with self.uow() as uow:
            ticket = await self._get(uow, ticket_id)
        if ticket.generation_id is None:
            raise Conflict("This ticket is not about a generation.", code="no_generation")
        generation = await self.retry_failed(actor, ticket.generation_id, ip)
        now = self.clock()
        async with self.uow() as uow:
            ticket = await self._get(uow, ticket_id)
            note = f"Retried the generation ({reason})."
            if not ticket.is_closed:
                ticket.staff_replied(now, internal=True)
                await uow.tickets.update(ticket)
                await uow.ticket_messages.add(
                    new_message(
                        ticket,
                        note,
                        author_id=actor.id,
                        author_label=_label(actor),
                        from_staff=True,
                        internal=True,
                        now=now,
                    )
                )
            await record(
                uow,
                actor,
                "ticket.retry_generation",
                target=("ticket", ticket.id),
                now=now,
                ip=ip,
                details={"generation_id": str(generation.id), "reason": reason},
            )
            await uow.commit()
        return generation

    async def close_resolved(self) -> int:
        """Close every ticket resolved `AUTO_CLOSE_AFTER` ago with no word from the user
        since (the scheduled job); returns how many."""
        now = self.clock()
        closed = 0
        async with self.uow() as uow:
            for ticket in await uow.tickets.resolved_before(now - AUTO_CLOSE_AFTER, limit=500):
                if not ticket.closes_itself(now):
                    continue
                ticket.move_to(TicketStatus.CLOSED, now)
                await uow.tickets.update(ticket)
                await uow.ticket_messages.add(
                    new_message(
                        ticket,
                        "Closed by itself: resolved 7 days ago with no answer since.",
                        author_id=None,
                        author_label="voiceqr",
                        from_staff=True,
                        internal=True,
                        now=now,
                    )
                )
                closed += 1
            await uow.commit()
        if closed:
            log.info("resolved tickets closed", extra={"closed": closed})
        return closed

    async def _get(self, uow: SupportUnitOfWork, ticket_id: UUID) -> Ticket:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise ticket_not_found()
        return ticket

    async def _assignee(self, uow: SupportUnitOfWork, email: str) -> User | None:
        email = email.strip().lower()
        if not email:
            return None
        person = await uow.users.get_by_email(email)
        if person is None or not can(person, Permission.HANDLE_TICKETS):
            raise NotFound(
                f"No support staff member has the email {email}.", code="assignee_not_found"
            )
        return person

    async def _staff_view(self, uow: SupportUnitOfWork, ticket: Ticket) -> StaffTicket:
        generation = None
        if ticket.generation_id is not None:
            generation = await uow.generations.get(ticket.generation_id)
        voice = None if ticket.voice_id is None else await uow.voices.get(ticket.voice_id)
        return StaffTicket(
            thread=TicketThread(ticket, await uow.ticket_messages.thread(ticket.id, internal=True)),
            requester=await uow.users.get(ticket.requester_id),
            assignee=None
            if ticket.assignee_id is None
            else await uow.users.get(ticket.assignee_id),
            voice_name=None if voice is None else voice.name,
            generation=None if generation is None or generation.is_deleted else generation,
        )

    async def _notify_requester(
        self, uow: SupportUnitOfWork, ticket: Ticket, message: TicketMessage
    ) -> None:
        # Mail and/or an in-app notice, as the requester chose for ticket replies.
        requester = await uow.users.get(ticket.requester_id)
        if requester is None:
            return
        body = message.body if len(message.body) <= EXCERPT else message.body[: EXCERPT - 1] + "…"
        await self.notifications.notify(
            uow,
            requester,
            MailKind.TICKET_REPLY,
            path=f"/support/{ticket.id}",
            notice=f"Support replied to your ticket “{ticket.subject}”.",
            subject=ticket.subject,
            reply=body,
        )
