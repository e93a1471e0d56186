"""What the mail feature needs: an outbox written with the change that caused the
mail, and a mailer that delivers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import Transaction
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus


class MailOutbox(Protocol):
    """Mail written in the same transaction as the change that caused it."""

    async def add(self, message: OutboxMessage) -> None: ...

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]: ...

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        """Take a due message for sending (its next attempt moves to `until`); False when
        another sender took it first (its due time is no longer `seen_due_at`)."""
        ...

    async def update(self, message: OutboxMessage) -> None: ...

    async def list_to(self, address: str, *, before: datetime, limit: int) -> list[OutboxMessage]:
        """The mail to `address` queued at or before `before`, newest first."""
        ...

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        """Newest first."""
        ...


class MailUnitOfWork(Transaction, Protocol):
    """A unit of work that can queue mail in the transaction of its change."""

    outbox: MailOutbox


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    """Delivers one message. Raises `ExternalServiceError` (retryable or not)."""

    async def send(self, message: MailMessage) -> None: ...
