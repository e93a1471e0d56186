"""The outbox mailer on a temporary directory and the SMTP mailer against aiosmtpd."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.adapters.mail.smtp_server import Recorder, start
from voiceqr.adapters.mail.message import build_email
from voiceqr.adapters.mail.outbox import (
    OutboxDirectoryMailer,
    list_outbox,
    read_outbox_message,
)
from voiceqr.adapters.mail.smtp import SmtpMailer
from voiceqr.application.mail.ports import MailMessage
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    ValidationError,
)

SENDER = "VoiceQR <no-reply@voiceqr.example>"
MESSAGE = MailMessage(
    to="Ada <ada@example.com>",
    subject="Your audio is ready — écoutez",
    text="Hello Ada,\nyour audio is ready.\n",
    html="<p>Hello Ada, your audio is <b>ready</b>.</p>",
    headers={"X-Generation-Id": "42"},
)


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, _class=EmailMessage, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- message builder ---------------------------------------------------------------


def test_build_email_has_headers_and_both_parts() -> None:
    built = _parse(build_email(MESSAGE, SENDER).as_bytes())

    assert built["From"] == SENDER
    assert built["To"] == MESSAGE.to
    assert built["Subject"] == MESSAGE.subject
    assert built["X-Generation-Id"] == "42"
    assert built["Message-ID"].endswith("@voiceqr.example>")
    assert abs(built["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=1)
    assert built.get_content_type() == "multipart/alternative"
    text_part = built.get_body(preferencelist=("plain",))
    html_part = built.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage)
    assert isinstance(html_part, EmailMessage)
    assert text_part.get_content() == MESSAGE.text
    assert html_part.get_content().strip() == MESSAGE.html


def test_build_email_text_only_is_not_multipart() -> None:
    built = build_email(MailMessage(to="a@example.com", subject="s", text="plain"), SENDER)

    assert built.get_content_type() == "text/plain"


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (MailMessage(to="a@example.com", subject="x\r\nBcc: b@example.com", text=""), None),
        (MailMessage(to="a@example.com\nBcc: b@example.com", subject="x", text=""), None),
        (MailMessage(to="a@example.com", subject="x", text="", headers={"Bcc": "b@x.y"}), None),
        (MailMessage(to="a@example.com", subject="x", text="", headers={"X-A": "1\n2"}), None),
        (MailMessage(to="a@example.com", subject="x", text="", headers={"Bad Name": "1"}), None),
        (MailMessage(to="a@example.com, b@example.com", subject="x", text=""), "address"),
        (MailMessage(to="not an address", subject="x", text=""), "address"),
    ],
)
def test_build_email_rejects_injection_and_bad_addresses(
    message: MailMessage, code: str | None
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        build_email(message, SENDER)
    assert excinfo.value.code == ("bad_mail_address" if code else "bad_mail_header")


# --- outbox ------------------------------------------------------------------------


async def test_outbox_writes_parseable_eml(tmp_path: Path) -> None:
    mailer = OutboxDirectoryMailer(tmp_path / "outbox", SENDER)

    await mailer.send(MESSAGE)

    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    assert files[0].suffix == ".eml"
    parsed = _parse(files[0].read_bytes())
    assert parsed["To"] == MESSAGE.to
    assert parsed["Subject"] == MESSAGE.subject
    assert parsed.get_content_type() == "multipart/alternative"


async def test_list_outbox_newest_first_and_read(tmp_path: Path) -> None:
    mailer = OutboxDirectoryMailer(tmp_path, SENDER)
    for n in range(3):
        await mailer.send(MailMessage(to=f"user{n}@example.com", subject=f"n{n}", text=f"t{n}"))
    await mailer.send(MESSAGE)
    (tmp_path / ".stray.tmp").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("not a message")

    entries = list_outbox(tmp_path)

    assert [e.subject for e in entries] == [MESSAGE.subject, "n2", "n1", "n0"]
    newest = entries[0]
    assert newest.to == MESSAGE.to
    assert newest.text == MESSAGE.text
    assert newest.html is not None
    assert newest.html.strip() == MESSAGE.html
    assert newest.date is not None
    assert entries[1].html is None
    assert [e.subject for e in list_outbox(tmp_path, limit=2)] == [MESSAGE.subject, "n2"]
    assert read_outbox_message(tmp_path, newest.filename) == newest


def test_list_outbox_of_missing_directory_is_empty(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "missing") == []


@pytest.mark.parametrize(
    "filename",
    ["../secret.eml", "/etc/passwd", "..", "x.eml", "20250101T000000000000Z-zz.eml", ""],
)
def test_read_outbox_message_rejects_foreign_names(tmp_path: Path, filename: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        read_outbox_message(tmp_path, filename)
    assert excinfo.value.code == "bad_filename"


def test_read_outbox_message_missing_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_outbox_message(tmp_path, f"20250101T000000000000Z-{'0' * 32}.eml")


# --- SMTP --------------------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    controller, port = start(handler)
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_smtp_delivers_both_parts(smtp_server: tuple[Recorder, int]) -> None:
    handler, port = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, SENDER, security="none")

    await mailer.send(MESSAGE)

    assert len(handler.received) == 1
    mail_from, rcpt_tos, content = handler.received[0]
    assert mail_from == "no-reply@voiceqr.example"
    assert rcpt_tos == ["ada@example.com"]
    assert b"\r\n" in content
    parsed = _parse(content)
    assert parsed["Subject"] == MESSAGE.subject
    assert parsed.get_content_type() == "multipart/alternative"
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    assert isinstance(text_part, EmailMessage)
    assert isinstance(html_part, EmailMessage)
    assert text_part.get_content().replace("\r\n", "\n") == MESSAGE.text
    assert html_part.get_content().strip() == MESSAGE.html


@pytest.mark.parametrize(
    ("reply", "code", "retryable"),
    [
        ("550 5.1.1 No such user here", "mail_rejected", False),
        ("450 4.2.0 Mailbox busy, try later", "mail_unavailable", True),
    ],
)
async def test_smtp_refused_recipient(reply: str, code: str, retryable: bool) -> None:
    controller, port = start(Recorder(rcpt_reply=reply))
    try:
        mailer = SmtpMailer("127.0.0.1", port, SENDER, security="none")
        with pytest.raises(ExternalServiceError) as excinfo:
            await mailer.send(MESSAGE)
    finally:
        controller.stop()

    assert excinfo.value.category is ErrorCategory.PROVIDER
    assert excinfo.value.code == code
    assert excinfo.value.retryable is retryable
    assert excinfo.value.detail is not None
    assert reply[:3] in excinfo.value.detail


async def test_smtp_starttls_required_but_unsupported_is_permanent(
    smtp_server: tuple[Recorder, int],
) -> None:
    handler, port = smtp_server
    mailer = SmtpMailer("127.0.0.1", port, SENDER, security="starttls")

    with pytest.raises(ExternalServiceError) as excinfo:
        await mailer.send(MESSAGE)

    assert excinfo.value.retryable is False
    assert handler.received == []


async def test_smtp_nothing_listening_is_retryable() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port(), SENDER, security="none", timeout=2)

    with pytest.raises(ExternalServiceError) as excinfo:
        await mailer.send(MESSAGE)

    assert excinfo.value.code == "mail_unavailable"
    assert excinfo.value.retryable is True
