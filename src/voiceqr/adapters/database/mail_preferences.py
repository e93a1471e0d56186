"""What users chose to receive, their in-app notices and the lines kept for their daily
digest, on SQLAlchemy Core: the tables and repositories (part of the mail feature)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    RowMapping,
    String,
    Table,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)

from voiceqr.adapters.database.accounts import user_of_row, users
from voiceqr.adapters.database.shared import Repository, belongs_to, metadata, row_of, upsert
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.preferences import FailureMail, MailKind, NotificationSettings

_ON, _OFF = text("true"), text("false")

notification_settings = Table(
    "notification_settings",
    metadata,
    belongs_to("user_id", "users", primary_key=True),
    Column("generation_failed_mail", String(10), nullable=False, server_default="each"),
    Column("generation_failed_in_app", Boolean, nullable=False, server_default=_ON),
    Column("ticket_reply_mail", Boolean, nullable=False, server_default=_ON),
    Column("ticket_reply_in_app", Boolean, nullable=False, server_default=_ON),
    Column("product_news_mail", Boolean, nullable=False, server_default=_OFF),
    Column("product_news_in_app", Boolean, nullable=False, server_default=_OFF),
    Column("scans_summary_mail", Boolean, nullable=False, server_default=_OFF),
    Column("scans_summary_in_app", Boolean, nullable=False, server_default=_OFF),
)

notices = Table(
    "notices",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False),
    Column("kind", String(30), nullable=False),
    Column("text", String(300), nullable=False),
    Column("link", String(300), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("read_at", DateTimeUTC),
    # The page's keyset (newest first), and the navigation's count of unread ones.
    Index("ix_notices_user_id_id", "user_id", "id"),
    Index("ix_notices_user_unread", "user_id", "read_at"),
)

mail_digest_items = Table(
    "mail_digest_items",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("text", String(300), nullable=False),
    Column("link", String(300), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False, index=True),
)


def _settings(row: RowMapping) -> NotificationSettings:
    values = dict(row)
    values["generation_failed_mail"] = FailureMail(values["generation_failed_mail"])
    return NotificationSettings(**values)


class SqlNotificationSettings(Repository):
    async def get(self, user_id: UUID) -> NotificationSettings | None:
        c = notification_settings.c
        row = await self._first(select(notification_settings).where(c.user_id == user_id))
        return None if row is None else _settings(row)

    async def save(self, settings: NotificationSettings) -> None:
        values = row_of(notification_settings, settings)
        values["generation_failed_mail"] = str(settings.generation_failed_mail)
        changes = {k: v for k, v in values.items() if k != "user_id"}
        # One statement: two first saves at once (a click and an unsubscribe) cannot both insert.
        await self._db.execute(
            upsert(self._db, notification_settings)
            .values(values)
            .on_conflict_do_update(index_elements=["user_id"], set_=changes)
        )

    async def account(self, user_id: UUID) -> User | None:
        row = await self._first(select(users).where(users.c.id == user_id))
        return None if row is None else user_of_row(row)

    async def opted_in(self, kind: MailKind, *, after: UUID | None, limit: int) -> list[User]:
        c = notification_settings.c
        chosen = or_(c[f"{kind}_mail"].is_(True), c[f"{kind}_in_app"].is_(True))
        query = (
            select(users)
            .join(notification_settings, notification_settings.c.user_id == users.c.id)
            .where(
                chosen,
                users.c.status == str(UserStatus.ACTIVE),
                users.c.email_verified_at.is_not(None),
            )
            .order_by(users.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(users.c.id > after)
        return [user_of_row(row) for row in await self._rows(query)]


def _notice(row: RowMapping) -> Notice:
    values = dict(row)
    values["kind"] = MailKind(values["kind"])
    return Notice(**values)


class SqlNotices(Repository):
    async def add(self, notice: Notice) -> None:
        values = row_of(notices, notice)
        values["kind"] = str(notice.kind)
        await self._db.execute(insert(notices).values(values))

    async def list_for(self, user_id: UUID, *, before: UUID | None, limit: int) -> list[Notice]:
        c = notices.c
        query = select(notices).where(c.user_id == user_id).order_by(c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(c.id < before)
        return [_notice(row) for row in await self._rows(query)]

    async def count_unread(self, user_id: UUID) -> int:
        c = notices.c
        query = select(func.count()).where(c.user_id == user_id, c.read_at.is_(None))
        return int((await self._db.execute(query)).scalar_one())

    async def mark_read(self, user_id: UUID, notice_id: UUID, *, at: datetime) -> bool:
        c = notices.c
        mine = (c.user_id == user_id, c.id == notice_id)
        await self._db.execute(update(notices).where(*mine, c.read_at.is_(None)).values(read_at=at))
        return await self._first(select(c.id).where(*mine)) is not None

    async def mark_all_read(self, user_id: UUID, *, at: datetime) -> int:
        c = notices.c
        result = await self._db.execute(
            update(notices).where(c.user_id == user_id, c.read_at.is_(None)).values(read_at=at)
        )
        return int(result.rowcount)


def _digest_item(row: RowMapping) -> DigestItem:
    values = dict(row)
    values["kind"] = MailKind(values["kind"])
    return DigestItem(**values)


class SqlMailDigest(Repository):
    async def add(self, item: DigestItem) -> None:
        values = row_of(mail_digest_items, item)
        values["kind"] = str(item.kind)
        await self._db.execute(insert(mail_digest_items).values(values))

    async def users_waiting(self, *, created_before: datetime, limit: int) -> list[UUID]:
        c = mail_digest_items.c
        query = (
            select(c.user_id)
            .where(c.created_at <= created_before)
            .group_by(c.user_id)
            .order_by(c.user_id)
            .limit(limit)
        )
        return [row.user_id for row in await self._rows(query)]

    async def take(self, user_id: UUID) -> list[DigestItem]:
        c = mail_digest_items.c
        rows = await self._rows(
            select(mail_digest_items).where(c.user_id == user_id).order_by(c.created_at, c.id)
        )
        await self._db.execute(delete(mail_digest_items).where(c.user_id == user_id))
        return [_digest_item(row) for row in rows]
