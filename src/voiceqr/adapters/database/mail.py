"""The mail outbox on SQLAlchemy Core: its table, row mapping and repository.

A message is written in the same transaction as the change that caused it; the delivery
job sends what is due and retries.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Column,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.mail_preferences import (
    SqlMailDigest,
    SqlNotices,
    SqlNotificationSettings,
)
from voiceqr.adapters.database.shared import Part, Repository, metadata
from voiceqr.application.mail.ports import (
    DigestRepository,
    MailOutbox,
    NoticeRepository,
    NotificationSettingsRepository,
)
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("to", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTimeUTC, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("sent_at", DateTimeUTC),
    # Extra headers (one-click unsubscribe); added by migration 0023.
    Column("headers", JsonB, nullable=False, server_default="{}"),
    # The delivery job's scan: pending mail that is due.
    Index("ix_mail_outbox_status_next_attempt", "status", "next_attempt_at"),
    # A user's timeline: the mail sent to their address.
    Index("ix_mail_outbox_to_created", "to", "created_at"),
)


def _outbox_message(row: RowMapping) -> OutboxMessage:
    values = dict(row)
    values["status"] = OutboxStatus(values["status"])
    return OutboxMessage(**values)


def _outbox_row(message: OutboxMessage) -> dict[str, Any]:
    row = asdict(message)
    row["status"] = str(message.status)
    return row


class SqlMailOutbox(Repository):
    async def add(self, message: OutboxMessage) -> None:
        await self._db.execute(insert(mail_outbox).values(_outbox_row(message)))

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]:
        c = mail_outbox.c
        rows = await self._rows(
            select(mail_outbox)
            .where(c.status == str(OutboxStatus.PENDING), c.next_attempt_at <= now)
            .order_by(c.next_attempt_at)
            .limit(limit)
        )
        return [_outbox_message(row) for row in rows]

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        c = mail_outbox.c
        result = await self._db.execute(
            update(mail_outbox)
            .where(
                c.id == message_id,
                c.status == str(OutboxStatus.PENDING),
                c.next_attempt_at == seen_due_at,
            )
            .values(next_attempt_at=until)
        )
        return result.rowcount == 1

    async def update(self, message: OutboxMessage) -> None:
        values = _outbox_row(message)
        del values["id"], values["created_at"]
        await self._db.execute(
            update(mail_outbox).where(mail_outbox.c.id == message.id).values(values)
        )

    async def list_to(self, address: str, *, before: datetime, limit: int) -> list[OutboxMessage]:
        c = mail_outbox.c
        query = (
            select(mail_outbox)
            .where(c.to == address, c.created_at <= before)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_outbox_message(row) for row in await self._rows(query)]

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        c = mail_outbox.c
        query = select(mail_outbox).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(c.status == str(status))
        return [_outbox_message(row) for row in await self._rows(query)]


class MailPart(Part):
    """The mail feature's share of the unit of work."""

    outbox: MailOutbox
    notification_settings: NotificationSettingsRepository
    notices: NoticeRepository
    mail_digest: DigestRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.outbox = SqlMailOutbox(connection)
        self.notification_settings = SqlNotificationSettings(connection)
        self.notices = SqlNotices(connection)
        self.mail_digest = SqlMailDigest(connection)
        super().attach(connection)
