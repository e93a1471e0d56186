"""A mailer that writes `.eml` files to a directory: the embedded adapter for development.

`list_outbox` and `read_outbox_message` read them back for a development mailbox page.
They do blocking file I/O; call them from async code through a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import os
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from voiceqr.adapters.mail.message import build_email
from voiceqr.application.mail.ports import MailMessage
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    ValidationError,
)

# Only names this module writes, so a filename from a URL can never leave the directory.
_FILENAME = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{32}\.eml")


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One stored message, decoded for display."""

    filename: str
    to: str
    subject: str
    date: datetime | None
    text: str
    html: str | None


class OutboxDirectoryMailer:
    """Writes each message as `<UTC timestamp>-<uuid>.eml` into `directory`.

    Files appear atomically (temporary file, fsync, rename) and their names sort by
    the time they were written.
    """

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = Path(directory)
        self.sender = sender

    async def send(self, message: MailMessage) -> None:
        data = build_email(message, self.sender).as_bytes()
        filename = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.eml"
        try:
            await asyncio.to_thread(_write_atomically, self.directory, filename, data)
        except OSError as exc:
            raise ExternalServiceError(
                "The e-mail could not be stored.",
                category=ErrorCategory.SYSTEM,
                code="mail_unavailable",
                retryable=True,
                detail=f"{self.directory}: {exc!r}",
            ) from exc


def list_outbox(directory: Path, limit: int | None = None) -> list[OutboxEntry]:
    """The stored messages, newest first (an absent directory is an empty outbox)."""
    try:
        names = sorted(
            (entry.name for entry in os.scandir(directory) if _FILENAME.fullmatch(entry.name)),
            reverse=True,
        )
    except FileNotFoundError:
        return []
    entries: list[OutboxEntry] = []
    for name in names[:limit]:
        # A message deleted between listing and reading is simply skipped.
        with contextlib.suppress(FileNotFoundError):
            entries.append(_read_entry(Path(directory) / name))
    return entries


def read_outbox_message(directory: Path, filename: str) -> OutboxEntry:
    """One stored message; ValidationError `bad_filename` for foreign names, else NotFound."""
    if not _FILENAME.fullmatch(filename):
        raise ValidationError(
            "This is not an outbox message name.", code="bad_filename", detail=repr(filename)
        )
    try:
        return _read_entry(Path(directory) / filename)
    except FileNotFoundError as exc:
        raise NotFound("This message does not exist.", detail=filename) from exc


def _read_entry(path: Path) -> OutboxEntry:
    parsed = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    date_header = parsed["Date"]
    return OutboxEntry(
        filename=path.name,
        to=str(parsed["To"] or ""),
        subject=str(parsed["Subject"] or ""),
        date=getattr(date_header, "datetime", None),
        text=_content(text_part),
        html=_content(html_part) if html_part is not None else None,
    )


def _content(part: object) -> str:
    if not isinstance(part, EmailMessage):
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def _write_atomically(directory: Path, filename: str, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # The temporary name does not match _FILENAME, so readers never list it.
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, directory / filename)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
