"""Account mail on the fakes: written to the outbox with the change, and its delivery with
retries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.accounts.steps import CLIENT, PASSWORD, sign_up, the_mail
from tests.unit.fakes import PUBLIC_BASE_URL, Services, make_services
from voiceqr.application.mail.notifications import MailDelivery
from voiceqr.domain.mail.outbox import OutboxStatus
from voiceqr.domain.shared.errors import ErrorCategory, ExternalServiceError


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_mail_is_written_in_the_same_transaction_as_the_change(s: Services) -> None:
    s.uow.fail_commits = 1

    with pytest.raises(ConnectionError):
        await s.accounts.register(
            name="Ada",
            email="ada@example.com",
            password=PASSWORD,
            terms_accepted=True,
            client=CLIENT,
        )

    assert s.db.users == {}
    assert s.db.outbox == {}
    assert s.db.account_tokens == {}


async def test_mail_has_text_and_escaped_html_with_links_to_the_public_site(s: Services) -> None:
    await sign_up(s, name="<script>alert(1)</script> & Co")

    mail = the_mail(s, "ada@example.com", "verify_email")

    assert "Hello <script>alert(1)</script> & Co," in mail.text
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in mail.html
    assert f'href="{PUBLIC_BASE_URL}/verify-email?token=' in mail.html


def delivery(s: Services) -> MailDelivery:
    return s.platform.mail.delivery


async def test_delivery_sends_due_mail_once(s: Services) -> None:
    await sign_up(s)

    assert await delivery(s).deliver_due() == 1
    assert await delivery(s).deliver_due() == 0

    (sent,) = s.mailer.sent
    assert (sent.to, sent.subject) == ("ada@example.com", "Confirm your email address")
    assert sent.html is not None
    message = the_mail(s, "ada@example.com", "verify_email")
    assert (message.status, message.attempts, message.sent_at) == (
        OutboxStatus.SENT,
        1,
        s.clock(),
    )


def unavailable(retryable: bool = True) -> ExternalServiceError:
    return ExternalServiceError(
        "The mail server is down.",
        category=ErrorCategory.PROVIDER,
        code="smtp_unavailable",
        retryable=retryable,
    )


async def test_delivery_tries_3_times_5_minutes_apart_then_marks_the_mail_failed(
    s: Services,
) -> None:
    await sign_up(s)
    s.mailer.error = unavailable()

    assert await delivery(s).deliver_due() == 0
    message = the_mail(s, "ada@example.com", "verify_email")
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at == s.clock() + timedelta(minutes=5)
    assert message.last_error is not None
    assert "smtp_unavailable" in message.last_error

    s.clock.advance(minutes=4, seconds=59)
    await delivery(s).deliver_due()
    assert the_mail(s, "ada@example.com", "verify_email").attempts == 1  # not due yet
    s.clock.advance(seconds=1)
    await delivery(s).deliver_due()
    s.clock.advance(minutes=5)
    await delivery(s).deliver_due()

    failed = the_mail(s, "ada@example.com", "verify_email")
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 3)
    s.mailer.error = None
    s.clock.advance(hours=1)
    assert await delivery(s).deliver_due() == 0
    assert s.mailer.sent == []


async def test_delivery_recovers_on_a_later_attempt(s: Services) -> None:
    await sign_up(s)
    s.mailer.error = RuntimeError("connection reset")  # unknown errors are retried too
    await delivery(s).deliver_due()
    s.mailer.error = None
    s.clock.advance(minutes=5)

    assert await delivery(s).deliver_due() == 1

    sent = the_mail(s, "ada@example.com", "verify_email")
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 2, None)


async def test_a_permanent_delivery_error_fails_at_once(s: Services) -> None:
    await sign_up(s)
    s.mailer.error = unavailable(retryable=False)

    await delivery(s).deliver_due()

    failed = the_mail(s, "ada@example.com", "verify_email")
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
