"""What the support tickets feature needs: its tickets and their threads, and, in the
same transaction, the requesters, their failed generations, the voices, mail and the
audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.accounts.ports import UserRepository
from voiceqr.application.generations.ports import GenerationRepository
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.ports import AuditedUnitOfWork, HistoryPosition
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.support.tickets import Priority, Ticket, TicketMessage, TicketStatus

UNASSIGNED = "unassigned"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the staff queue shows. `assignee`: a staff member's id, `UNASSIGNED`, or
    None for anyone; `search` matches the subject or the requester's email (a part of
    either, any case)."""

    status: TicketStatus | None = None
    priority: Priority | None = None
    assignee: UUID | str | None = None
    has_generation: bool | None = None
    search: str = ""


class TicketRepository(Protocol):
    async def add(self, ticket: Ticket) -> None: ...

    async def get(self, ticket_id: UUID) -> Ticket | None: ...

    async def get_for_requester(self, ticket_id: UUID, requester_id: UUID) -> Ticket | None:
        """The ticket, only if `requester_id` opened it (another user's is None)."""
        ...

    async def update(self, ticket: Ticket) -> None: ...

    async def list_for_requester(self, requester_id: UUID) -> list[Ticket]:
        """Newest first."""
        ...

    async def queue(
        self, which: QueueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Ticket]:
        """Newest first by (created_at, id), strictly after `after` when given."""
        ...

    async def resolved_before(self, cutoff: datetime, *, limit: int) -> list[Ticket]:
        """Resolved tickets whose resolution is at or before `cutoff`."""
        ...

    async def opened_before(
        self, requester_id: UUID, *, before: datetime, limit: int
    ) -> list[Ticket]:
        """At most `limit` of the requester's tickets opened at or before `before`, newest
        first (for their timeline)."""
        ...


class TicketMessageRepository(Protocol):
    async def add(self, message: TicketMessage) -> None: ...

    async def thread(self, ticket_id: UUID, *, internal: bool) -> list[TicketMessage]:
        """Oldest first; internal notes only when `internal`."""
        ...

    async def threads(self, ticket_ids: Sequence[UUID]) -> dict[UUID, list[TicketMessage]]:
        """Every message (notes included) of each ticket, oldest first."""
        ...


class SupportUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, Protocol):
    tickets: TicketRepository
    ticket_messages: TicketMessageRepository
    users: UserRepository
    generations: GenerationRepository
    voices: VoiceRepository
