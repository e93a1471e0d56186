"""Mail waiting in the outbox (F5): written with the change that caused it, sent later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

MAIL_ATTEMPTS = 3
MAIL_RETRY_DELAY = timedelta(minutes=5)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(slots=True)
class OutboxMessage:
    id: UUID
    to: str
    subject: str
    text: str
    html: str
    kind: str  # verify_email, welcome, reset_password, ... (for admins and tests)
    created_at: datetime
    next_attempt_at: datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    # Extra headers for the mailer (the one-click unsubscribe headers of optional mail).
    headers: dict[str, str] = field(default_factory=dict)

    def delivered(self, now: datetime) -> None:
        self.status = OutboxStatus.SENT
        self.attempts += 1
        self.sent_at = now
        self.last_error = None

    def delivery_failed(self, error: str, *, retryable: bool, now: datetime) -> None:
        """Try again 5 minutes later, 3 attempts in all; a permanent error fails at once."""
        self.attempts += 1
        self.last_error = error[:2000]
        if retryable and self.attempts < MAIL_ATTEMPTS:
            self.next_attempt_at = now + MAIL_RETRY_DELAY
        else:
            self.status = OutboxStatus.FAILED
