"""What the mail feature needs: an outbox written with the change that caused the
mail, and a mailer that delivers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import Transaction
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.mail.preferences import MailKind, NotificationSettings


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


class NotificationSettingsRepository(Protocol):
    """Each user's choice of mail and notices per kind (None: never chosen, the defaults)."""

    async def get(self, user_id: UUID) -> NotificationSettings | None: ...

    async def save(self, settings: NotificationSettings) -> None: ...

    async def account(self, user_id: UUID) -> User | None:
        """The account the settings are for (None once it is deleted)."""
        ...

    async def opted_in(self, kind: MailKind, *, after: UUID | None, limit: int) -> list[User]:
        """Active users with a confirmed address who chose an opt-in `kind` (product
        news, the weekly summary) by mail or in the app, in id order after `after`:
        one batch."""
        ...


class NoticeRepository(Protocol):
    """The in-app notices; every method takes the owner, so another user's is not found."""

    async def add(self, notice: Notice) -> None: ...

    async def list_for(self, user_id: UUID, *, before: UUID | None, limit: int) -> list[Notice]:
        """Newest first (notice ids grow with time), older than `before` when given."""
        ...

    async def count_unread(self, user_id: UUID) -> int: ...

    async def mark_read(self, user_id: UUID, notice_id: UUID, *, at: datetime) -> bool:
        """False when the user has no such notice."""
        ...

    async def mark_all_read(self, user_id: UUID, *, at: datetime) -> int: ...


class DigestRepository(Protocol):
    """Messages kept for a user's next daily digest."""

    async def add(self, item: DigestItem) -> None: ...

    async def users_waiting(self, *, created_before: datetime, limit: int) -> list[UUID]:
        """Users with an item kept before `created_before`, in id order."""
        ...

    async def take(self, user_id: UUID) -> list[DigestItem]:
        """Remove and return the user's items, oldest first."""
        ...


class MailUnitOfWork(Transaction, Protocol):
    """A unit of work that can queue mail in the transaction of its change, knowing
    what the user chose to receive."""

    outbox: MailOutbox
    notification_settings: NotificationSettingsRepository
    notices: NoticeRepository
    mail_digest: DigestRepository


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
