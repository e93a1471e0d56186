"""The mail outbox repository, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from tests.integration.database.rows import NOW
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.shared.ids import uuid7


def make_mail(
    to: str, *, created: datetime, next_attempt: datetime, **changes: Any
) -> OutboxMessage:
    message = OutboxMessage(
        id=uuid7(),
        to=to,
        subject="Confirm your email address",
        text="Hello Ada,\n\nConfirm my email: http://127.0.0.1:8000/verify-email?token=x",
        html="<p>Hello Ada, ✉</p>",
        kind="verify_email",
        created_at=created,
        next_attempt_at=next_attempt,
    )
    return dataclasses.replace(message, **changes)


async def test_mail_outbox_due_update_and_list(uows: SqlUnitOfWorkFactory) -> None:
    later_due = make_mail("b@example.com", created=NOW - timedelta(minutes=3), next_attempt=NOW)
    first_due = make_mail(
        "a@example.com",
        created=NOW - timedelta(minutes=2),
        next_attempt=NOW - timedelta(minutes=1),
    )
    not_yet = make_mail(
        "c@example.com",
        created=NOW - timedelta(minutes=1),
        next_attempt=NOW + timedelta(microseconds=1),
        attempts=1,
        last_error="smtp_unavailable: try later",
    )
    sent = make_mail(
        "d@example.com",
        created=NOW - timedelta(minutes=4),
        next_attempt=NOW - timedelta(hours=1),
        status=OutboxStatus.SENT,
        attempts=1,
        sent_at=NOW - timedelta(minutes=59),
    )
    failed = make_mail(
        "e@example.com",
        created=NOW - timedelta(minutes=5),
        next_attempt=NOW - timedelta(hours=1),
        status=OutboxStatus.FAILED,
        attempts=3,
    )
    async with uows() as uow:
        for message in (later_due, first_due, not_yet, sent, failed):
            await uow.outbox.add(message)
        await uow.commit()

    async with uows() as uow:
        due = await uow.outbox.due(now=NOW, limit=10)
        one = await uow.outbox.due(now=NOW, limit=1)
        everything = await uow.outbox.list(status=None, limit=10)
        newest_two = await uow.outbox.list(status=None, limit=2)
        failures = await uow.outbox.list(status=OutboxStatus.FAILED, limit=10)
    assert due == [first_due, later_due]
    assert one == [first_due]
    assert everything == [not_yet, first_due, later_due, sent, failed]
    assert newest_two == [not_yet, first_due]
    assert failures == [failed]
    assert due[0].status is OutboxStatus.PENDING

    # A failed attempt waits 5 minutes; a delivery is final. created_at never changes.
    retry = dataclasses.replace(first_due, created_at=NOW + timedelta(days=1))
    retry.delivery_failed("smtp_unavailable: 421", retryable=True, now=NOW)
    delivered = dataclasses.replace(later_due)
    delivered.delivered(NOW)
    async with uows() as uow:
        await uow.outbox.update(retry)
        await uow.outbox.update(delivered)
        await uow.commit()

    async with uows() as uow:
        assert await uow.outbox.due(now=NOW, limit=10) == []
        assert await uow.outbox.due(now=NOW + timedelta(minutes=5), limit=10) == [
            not_yet,
            dataclasses.replace(retry, created_at=first_due.created_at),
        ]
        sent_now = await uow.outbox.list(status=OutboxStatus.SENT, limit=10)
    assert sent_now == [delivered, sent]
    assert retry.attempts == 1
    assert retry.next_attempt_at == NOW + timedelta(minutes=5)
