"""Account mail goes through the outbox table and reaches a real SMTP server (F5):
both parts, links from the public base URL, 3 attempts 5 minutes apart, then failed."""

from __future__ import annotations

import contextlib
import email
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from argon2 import PasswordHasher as Argon2

from tests.conftest import free_port
from tests.integration.adapters.mail.smtp_server import Recorder, start
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.adapters.passwords import Argon2PasswordHasher
from voiceqr.application.accounts.policy import Client
from voiceqr.bootstrap import Adapters, Platform, build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxStatus
from voiceqr.settings import load

BASE_URL = "https://listen.example.org"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    controller, port = start(handler)
    try:
        yield handler, port
    finally:
        controller.stop()


@contextlib.asynccontextmanager
async def _platform(
    tmp_path: Path, port: int, clock: Clock
) -> AsyncIterator[tuple[Platform, SqlUnitOfWorkFactory]]:
    """The started platform, and the database it was given (for reading the outbox)."""
    settings = load(
        {
            "VOICEQR_DATA_DIR": str(tmp_path / "data"),
            "VOICEQR_PUBLIC_BASE_URL": BASE_URL,
            "VOICEQR_MAIL": "smtp",
            "VOICEQR_MAIL_SMTP_HOST": "127.0.0.1",
            "VOICEQR_MAIL_SMTP_PORT": str(port),
            "VOICEQR_MAIL_SMTP_SECURITY": "none",
            "VOICEQR_MAIL_SENDER": "voiceqr <hello@listen.example.org>",
        }
    )
    cheap = Argon2PasswordHasher(Argon2(time_cost=1, memory_cost=8, parallelism=1))
    uow = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(uow=uow, clock=clock, hasher=cheap))
    await platform.start()
    try:
        yield platform, uow
    finally:
        await platform.stop()
        await uow.dispose()


async def _statuses(outbox: SqlUnitOfWorkFactory) -> list[tuple[OutboxStatus, int]]:
    async with outbox() as uow:
        return [(m.status, m.attempts) for m in await uow.outbox.list(status=None, limit=10)]


async def test_sign_up_mail_reaches_the_smtp_server_with_both_parts_and_a_public_link(
    tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    handler, port = smtp
    clock = Clock()
    async with _platform(tmp_path, port, clock) as (platform, database):
        await platform.accounts.accounts.register(
            name="Ada",
            email="ada@example.com",
            password="a long password",
            terms_accepted=True,
            client=Client(ip="127.0.0.1"),
        )
        assert handler.received == []  # written to the outbox, not sent inline
        assert await platform.mail.delivery.deliver_due() == 1
        assert await platform.mail.delivery.deliver_due() == 0  # sent once
        assert await _statuses(database) == [(OutboxStatus.SENT, 1)]

    (mail_from, rcpt_tos, content) = handler.received[0]
    assert rcpt_tos == ["ada@example.com"]
    assert mail_from == "hello@listen.example.org"
    message = email.message_from_bytes(content, policy=default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Confirm your email address"
    text = message.get_body(preferencelist=("plain",))
    page = message.get_body(preferencelist=("html",))
    assert text is not None
    assert page is not None
    assert f"{BASE_URL}/verify-email?token=" in text.get_content()
    assert f"{BASE_URL}/verify-email?token=" in page.get_content()
    assert message["List-Unsubscribe"] is None  # account mail cannot be unsubscribed from


async def test_optional_mail_reaches_the_smtp_server_with_the_one_click_unsubscribe_headers(
    tmp_path: Path, smtp: tuple[Recorder, int]
) -> None:
    handler, port = smtp
    async with _platform(tmp_path, port, Clock()) as (platform, _):
        fan = await platform.accounts.accounts.create_user(
            email="fan@example.com",
            name="Fan",
            password="a long password",
            role=Role.USER,
            actor=OPERATOR,
        )
        await platform.mail.preferences.update(fan, {"product_news_mail": True})
        sent = await platform.mail.scheduled.send_product_news(
            OPERATOR, subject="New voices", text="Three new voices are in the gallery."
        )
        assert sent == 1
        assert await platform.mail.delivery.deliver_due() >= 1

    [content] = [c for _, rcpt, c in handler.received if rcpt == ["fan@example.com"]]
    message = email.message_from_bytes(content, policy=default)
    link = message["List-Unsubscribe"]
    assert link.startswith(f"<{BASE_URL}/unsubscribe/")
    assert link.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert link.strip("<>") in text.get_content()  # and a footer link for people


async def test_mail_is_tried_three_times_five_minutes_apart_then_marked_failed(
    tmp_path: Path,
) -> None:
    clock = Clock()
    # Nothing listens at the SMTP port.
    async with _platform(tmp_path, free_port(), clock) as (platform, database):
        await platform.accounts.accounts.forgot_password(
            email="nobody@example.com", client=Client()
        )
        await platform.accounts.accounts.create_user(
            email="bo@example.com",
            name="Bo",
            password="a long password",
            role=Role.USER,
            actor=OPERATOR,
        )
        await platform.accounts.accounts.forgot_password(email="bo@example.com", client=Client())
        assert await platform.mail.delivery.deliver_due() == 0
        assert await _statuses(database) == [(OutboxStatus.PENDING, 1)]

        clock.now += timedelta(minutes=4)
        await platform.mail.delivery.deliver_due()
        assert await _statuses(database) == [(OutboxStatus.PENDING, 1)]  # not due yet

        clock.now += timedelta(minutes=1)
        await platform.mail.delivery.deliver_due()
        assert await _statuses(database) == [(OutboxStatus.PENDING, 2)]

        clock.now += timedelta(minutes=5)
        await platform.mail.delivery.deliver_due()
        assert await _statuses(database) == [(OutboxStatus.FAILED, 3)]

        clock.now += timedelta(hours=1)
        await platform.mail.delivery.deliver_due()
        assert await _statuses(database) == [(OutboxStatus.FAILED, 3)]  # given up for good
        async with database() as uow:
            (failed,) = await uow.outbox.list(status=OutboxStatus.FAILED, limit=10)
        assert failed.last_error is not None
        assert failed.last_error.startswith("mail_unavailable")
