"""Notification settings, in-app notices, digest lines and outbox headers, run unchanged
on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from tests.integration.database.mail.test_outbox_repository import make_mail
from tests.integration.database.rows import NOW, add_user, make_user
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.mail.notices import DigestItem, Notice
from voiceqr.domain.mail.preferences import FailureMail, MailKind, NotificationSettings
from voiceqr.domain.shared.ids import uuid7


async def test_settings_are_kept_per_user_and_saved_twice_without_a_duplicate(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann = await add_user(uows)
    chosen = NotificationSettings(
        user_id=ann.id,
        generation_failed_mail=FailureMail.DAILY_DIGEST,
        ticket_reply_in_app=False,
        product_news_mail=True,
    )
    async with uows() as uow:
        assert await uow.notification_settings.get(ann.id) is None
        await uow.notification_settings.save(chosen)
        await uow.notification_settings.save(chosen.without_mail(MailKind.PRODUCT_NEWS))
        await uow.commit()
    async with uows() as uow:
        assert await uow.notification_settings.get(ann.id) == dataclasses.replace(
            chosen, product_news_mail=False
        )
        assert await uow.notification_settings.account(ann.id) == ann
        assert await uow.notification_settings.account(uuid7()) is None


async def test_opted_in_lists_active_confirmed_users_who_chose_the_mail_in_batches(
    uows: SqlUnitOfWorkFactory,
) -> None:
    confirmed = [
        await add_user(uows, dataclasses.replace(make_user(), email_verified_at=NOW))
        for _ in range(3)
    ]
    unconfirmed = await add_user(uows)
    disabled = await add_user(
        uows,
        dataclasses.replace(make_user(), email_verified_at=NOW, status=UserStatus.DISABLED),
    )
    not_asked = await add_user(uows, dataclasses.replace(make_user(), email_verified_at=NOW))
    async with uows() as uow:
        for user in [*confirmed, unconfirmed, disabled]:
            await uow.notification_settings.save(
                NotificationSettings(user_id=user.id, product_news_mail=True)
            )
        await uow.notification_settings.save(NotificationSettings(user_id=not_asked.id))
        await uow.commit()
    async with uows() as uow:
        first = await uow.notification_settings.opted_in(MailKind.PRODUCT_NEWS, after=None, limit=2)
        rest = await uow.notification_settings.opted_in(
            MailKind.PRODUCT_NEWS, after=first[-1].id, limit=2
        )
        summary = await uow.notification_settings.opted_in(
            MailKind.SCANS_SUMMARY, after=None, limit=10
        )
    assert [u.id for u in first + rest] == sorted(u.id for u in confirmed)
    assert summary == []


async def test_notices_page_count_and_read_only_for_their_owner(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    made = [
        Notice(uuid7(), ann.id, MailKind.TICKET_REPLY, f"Reply {n}", "/support/x", NOW)
        for n in range(3)
    ]
    async with uows() as uow:
        for notice in made:
            await uow.notices.add(notice)
        await uow.notices.add(
            Notice(uuid7(), bob.id, MailKind.GENERATION_FAILED, "Bob's", "/generations/y", NOW)
        )
        await uow.commit()
    async with uows() as uow:
        newest = await uow.notices.list_for(ann.id, before=None, limit=2)
        older = await uow.notices.list_for(ann.id, before=newest[-1].id, limit=2)
        assert [n.text for n in newest + older] == ["Reply 2", "Reply 1", "Reply 0"]
        assert await uow.notices.count_unread(ann.id) == 3
        assert not await uow.notices.mark_read(bob.id, made[0].id, at=NOW)  # not Bob's
        assert await uow.notices.mark_read(ann.id, made[0].id, at=NOW)
        assert await uow.notices.mark_read(ann.id, made[0].id, at=NOW)  # read already: still hers
        assert await uow.notices.mark_all_read(ann.id, at=NOW) == 2
        await uow.commit()
    async with uows() as uow:
        assert await uow.notices.count_unread(ann.id) == 0
        assert await uow.notices.count_unread(bob.id) == 1
        [read] = await uow.notices.list_for(ann.id, before=made[1].id, limit=5)
        assert read.read_at == NOW


async def test_digest_lines_wait_per_user_and_are_taken_once(uows: SqlUnitOfWorkFactory) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    kind = MailKind.GENERATION_FAILED
    async with uows() as uow:
        for user, minutes in ((ann, 2), (ann, 1), (bob, -1)):
            at = NOW - timedelta(minutes=minutes)
            await uow.mail_digest.add(DigestItem(uuid7(), user.id, kind, f"{minutes}", "/g", at))
        await uow.commit()
    async with uows() as uow:
        assert await uow.mail_digest.users_waiting(created_before=NOW, limit=10) == [ann.id]
        assert [i.text for i in await uow.mail_digest.take(ann.id)] == ["2", "1"]
        assert await uow.mail_digest.take(ann.id) == []
        await uow.commit()
    async with uows() as uow:
        later = NOW + timedelta(minutes=5)
        assert await uow.mail_digest.users_waiting(created_before=later, limit=10) == [bob.id]


async def test_the_outbox_keeps_a_messages_headers(uows: SqlUnitOfWorkFactory) -> None:
    headers = {
        "List-Unsubscribe": "<https://voiceqr.test/unsubscribe/abc.def>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    mail = make_mail("a@example.com", created=NOW, next_attempt=NOW, headers=headers)
    plain = make_mail("b@example.com", created=NOW, next_attempt=NOW)
    async with uows() as uow:
        await uow.outbox.add(mail)
        await uow.outbox.add(plain)
        await uow.commit()
    async with uows() as uow:
        stored = {m.to: m.headers for m in await uow.outbox.due(now=NOW, limit=10)}
    assert stored == {"a@example.com": headers, "b@example.com": {}}
