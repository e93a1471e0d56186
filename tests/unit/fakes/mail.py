"""The fake mail outbox and mailer."""

from __future__ import annotations

import copy
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.mail.ports import (
    DigestRepository,
    MailMessage,
    MailOutbox,
    NoticeRepository,
    NotificationSettingsRepository,
)
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.mail.preferences import MailKind, NotificationSettings


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


class FakeNotificationSettings(Table):
    async def get(self, user_id: UUID) -> NotificationSettings | None:
        return self._db.notification_settings.get(user_id)  # frozen: no copy needed

    async def save(self, settings: NotificationSettings) -> None:
        if settings.user_id not in self._db.users:
            raise LookupError("no such user (the foreign key refuses it)")
        self._db.notification_settings[settings.user_id] = settings
        self._wrote()

    async def account(self, user_id: UUID) -> User | None:
        return copy.deepcopy(self._db.users.get(user_id))

    async def opted_in(self, kind: MailKind, *, after: UUID | None, limit: int) -> list[User]:
        chosen = [
            self._db.users[user_id]
            for user_id, settings in self._db.notification_settings.items()
            if (settings.mails(kind) or settings.in_app(kind)) and user_id in self._db.users
        ]
        found = sorted(
            (
                u
                for u in chosen
                if u.status is UserStatus.ACTIVE
                and u.is_verified
                and (after is None or u.id > after)
            ),
            key=lambda u: u.id,
        )
        return copy.deepcopy(found[:limit])


class FakeNotices(Table):
    async def add(self, notice: Notice) -> None:
        self._db.notices[notice.id] = copy.deepcopy(notice)
        self._wrote()

    async def list_for(self, user_id: UUID, *, before: UUID | None, limit: int) -> list[Notice]:
        found = [
            n
            for n in self._db.notices.values()
            if n.user_id == user_id and (before is None or n.id < before)
        ]
        return copy.deepcopy(sorted(found, key=lambda n: n.id, reverse=True)[:limit])

    async def count_unread(self, user_id: UUID) -> int:
        return sum(1 for n in self._db.notices.values() if n.user_id == user_id and not n.is_read)

    async def mark_read(self, user_id: UUID, notice_id: UUID, *, at: datetime) -> bool:
        notice = self._db.notices.get(notice_id)
        if notice is None or notice.user_id != user_id:
            return False
        if notice.read_at is None:
            notice.read_at = at
            self._wrote()
        return True

    async def mark_all_read(self, user_id: UUID, *, at: datetime) -> int:
        marked = 0
        for notice in self._db.notices.values():
            if notice.user_id == user_id and notice.read_at is None:
                notice.read_at = at
                marked += 1
        if marked:
            self._wrote()
        return marked


class FakeMailDigest(Table):
    async def add(self, item: DigestItem) -> None:
        self._db.mail_digest[item.id] = copy.deepcopy(item)
        self._wrote()

    async def users_waiting(self, *, created_before: datetime, limit: int) -> list[UUID]:
        waiting = {
            i.user_id for i in self._db.mail_digest.values() if i.created_at <= created_before
        }
        return sorted(waiting)[:limit]

    async def take(self, user_id: UUID) -> list[DigestItem]:
        mine = [i for i in self._db.mail_digest.values() if i.user_id == user_id]
        for item in mine:
            del self._db.mail_digest[item.id]
        if mine:
            self._wrote()
        return copy.deepcopy(sorted(mine, key=lambda i: (i.created_at, i.id)))


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
    notification_settings: NotificationSettingsRepository
    notices: NoticeRepository
    mail_digest: DigestRepository

    def attach(self) -> None:
        self.outbox = FakeMailOutbox(self)
        self.notification_settings = FakeNotificationSettings(self)
        self.notices = FakeNotices(self)
        self.mail_digest = FakeMailDigest(self)
        super().attach()
