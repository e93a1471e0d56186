"""Mail sent on a schedule or by an operator: the daily digest of failed generations,
the weekly summary of scans, and product news. Each reads the user's choice when it
sends, not when the message was first thought of."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.mail.preferences import MailKind, NotificationSettings
from voiceqr.domain.shared.errors import ValidationError

log = logging.getLogger(__name__)

BATCH = 200  # users per transaction: a long send never holds one open for minutes
MAX_NEWS_SUBJECT = 200
MAX_NEWS_TEXT = 20_000


class DigestUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, Protocol):
    """Mail, the users' choices, and the audit log (product news is a staff action)."""


@dataclass(frozen=True, slots=True)
class CodeWeek:
    """One code's last 7 days, for the weekly summary."""

    public_code: str
    text: str
    scans: int
    listens: int


@dataclass(frozen=True, slots=True)
class ScansWeek:
    scans: int
    listens: int
    top_codes: list[CodeWeek]


class ScanWeeks(Protocol):
    """The last 7 days of a user's codes. Analytics answers it: mail may not import the
    analytics feature, so the composition root hands its dashboards in behind this port."""

    async def last_week(self, owner: User) -> ScansWeek: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ScheduledMail:
    """The daily failure digest, the weekly scans summary and product news."""

    uow: Callable[[], DigestUnitOfWork]
    notifications: Notifications
    scan_weeks: ScanWeeks
    clock: Callable[[], datetime]

    async def send_failure_digests(self) -> int:
        """One mail per user with failures kept since their last digest; returns how
        many were mailed. Nothing is sent to a user with none, and a user who turned
        the failure mail off since has their kept lines dropped unsent."""
        mailed = 0
        cutoff = self.clock()
        while True:
            async with self.uow() as uow:
                waiting = await uow.mail_digest.users_waiting(created_before=cutoff, limit=BATCH)
                for user_id in waiting:
                    mailed += await self._digest_for(uow, user_id)
                await uow.commit()
            if len(waiting) < BATCH:
                return mailed

    async def _digest_for(self, uow: DigestUnitOfWork, user_id: UUID) -> int:
        items = await uow.mail_digest.take(user_id)
        user = await uow.notification_settings.account(user_id)
        settings = await uow.notification_settings.get(user_id)
        kind = MailKind.GENERATION_FAILED
        if user is None or not items or not (settings or _defaults(user_id)).mails(kind):
            return 0
        await self.notifications.send(
            uow,
            "failure_digest",
            to=user.email,
            link=self.notifications.link("/generations"),
            unsubscribe=self.notifications.unsubscribe_link(user, kind),
            name=user.name,
            count=str(len(items)),
            items="\n".join(
                f"- {item.text} ({self.notifications.link(item.link)})" for item in items
            ),
        )
        return 1

    async def send_scans_summaries(self) -> int:
        """The weekly summary to each user who asked for it (by mail and/or in the app)
        and had scans or listens in the last 7 days (a week with nothing sends nothing);
        returns how many users were told."""
        told = 0
        after: UUID | None = None
        while True:
            async with self.uow() as uow:
                users = await uow.notification_settings.opted_in(
                    MailKind.SCANS_SUMMARY, after=after, limit=BATCH
                )
            for user in users:
                week = await self.scan_weeks.last_week(user)
                if week.scans == 0 and week.listens == 0:
                    continue
                async with self.uow() as uow:
                    await self.notifications.notify(
                        uow,
                        user,
                        MailKind.SCANS_SUMMARY,
                        path="/analytics",
                        notice=f"Your week: {week.scans} scans, {week.listens} listens.",
                        scans=str(week.scans),
                        listens=str(week.listens),
                        codes="\n".join(
                            f"- {code.public_code} “{code.text[:60]}”: {code.scans} scans, "
                            f"{code.listens} listens"
                            for code in week.top_codes
                        )
                        or "-",
                    )
                    await uow.commit()
                told += 1
            if len(users) < BATCH:
                return told
            after = users[-1].id

    async def send_product_news(
        self, actor: Actor, *, subject: str, text: str, dry_run: bool = False
    ) -> int:
        """Tell every active, confirmed user who opted in to product news (by mail and/or
        in the app), in batches, each batch with its audit entry; returns how many users
        it is (or would be, with `dry_run`, which writes nothing)."""
        require(actor, Permission.SEND_PRODUCT_NEWS)
        subject, text = subject.strip(), text.strip()
        if not subject or len(subject) > MAX_NEWS_SUBJECT or "\n" in subject:
            raise ValidationError(
                f"The subject is one line of 1 to {MAX_NEWS_SUBJECT} characters.",
                code="invalid_news_subject",
            )
        if not text or len(text) > MAX_NEWS_TEXT:
            raise ValidationError(
                f"The news is 1 to {MAX_NEWS_TEXT} characters of text.", code="invalid_news_text"
            )
        told = 0
        after: UUID | None = None
        while True:
            async with self.uow() as uow:
                users = await uow.notification_settings.opted_in(
                    MailKind.PRODUCT_NEWS, after=after, limit=BATCH
                )
                if users and not dry_run:
                    for user in users:
                        await self.notifications.notify(
                            uow,
                            user,
                            MailKind.PRODUCT_NEWS,
                            path="/",
                            notice=subject,
                            subject=subject,
                            news=text,
                        )
                    await record(
                        uow,
                        actor,
                        "mail.news",
                        target=("mail", "product_news"),
                        now=self.clock(),
                        details={"subject": subject, "recipients": len(users)},
                    )
                    await uow.commit()
            told += len(users)
            if len(users) < BATCH:
                break
            after = users[-1].id
        log.info("product news queued", extra={"recipients": told, "dry_run": dry_run})
        return told


def _defaults(user_id: UUID) -> NotificationSettings:
    return NotificationSettings.defaults(user_id)
