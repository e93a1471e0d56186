"""The fake mail outbox and mailer."""

from __future__ import annotations

import copy
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.mail.ports import MailMessage, MailOutbox
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus


class FakeMailOutbox(Table):
    async def add(self, message: OutboxMessage) -> None:
        self._db.outbox[message.id] = copy.deepcopy(message)
        self._wrote()

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [
            m
            for m in self._db.outbox.values()
            if m.status is OutboxStatus.PENDING and m.next_attempt_at <= now
        ]
        return copy.deepcopy(sorted(due, key=lambda m: m.next_attempt_at)[:limit])

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        stored = self._db.outbox.get(message_id)
        if (
            stored is None
            or stored.status is not OutboxStatus.PENDING
            or stored.next_attempt_at != seen_due_at
        ):
            return False
        stored.next_attempt_at = until
        self._wrote()
        return True

    async def update(self, message: OutboxMessage) -> None:
        if message.id in self._db.outbox:
            self._db.outbox[message.id] = copy.deepcopy(message)
            self._wrote()

    async def list_to(self, address: str, *, before: datetime, limit: int) -> list[OutboxMessage]:
        found = [m for m in self._db.outbox.values() if m.to == address and m.created_at <= before]
        return copy.deepcopy(
            sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]
        )

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        found = [m for m in self._db.outbox.values() if status is None or m.status is status]
        return copy.deepcopy(
            sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]
        )


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.error: Exception | None = None

    async def send(self, message: MailMessage) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)


class MailPart(Part):
    """The mail feature's fake repositories."""

    outbox: MailOutbox

    def attach(self) -> None:
        self.outbox = FakeMailOutbox(self)
        super().attach()
