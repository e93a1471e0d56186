"""The development mailbox: every mail the outbox wrote, readable in the browser on the
machine that runs the platform (and nowhere else)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import page
from voiceqr.entrypoints.http.kit.views import when

_URL = re.compile(r"https?://[^\s<>\"']+")


def _linkified(text: str) -> list[tuple[str, str | None]]:
    """The text in pieces, each with its URL when it is one (rendered as a link)."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        if match.start() > at:
            pieces.append((text[at : match.start()], None))
        pieces.append((url, url))
        at = match.start() + len(url)
    pieces.append((text[at:], None))
    return pieces


def _only_local(request: Request[Any, Any, Any], platform: Platform) -> None:
    """The mailbox holds every reset link: only a browser on this machine may read it."""
    try:
        local = ipaddress.ip_address(client_address(request, platform)).is_loopback
    except ValueError:
        local = False
    if not local:
        raise NotFoundException("Not found.")


@get("/dev/mailbox")
async def mailbox_page(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    """Development only, and only to this machine: every mail sent, newest first."""
    _only_local(request, platform)
    entries = await platform.mail.dev_mailbox()
    if entries is None:
        raise NotFoundException("Not found.")
    return page(
        "mail/mailbox.html",
        user=viewer,
        entries=[
            {"filename": e.filename, "to": e.to, "subject": e.subject, "date": when(e.date)}
            for e in entries
        ],
    )


@get("/dev/mailbox/{filename:str}")
async def mailbox_message_page(
    filename: FromPath[str],
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    _only_local(request, platform)
    try:
        entry = await platform.mail.dev_mailbox_message(filename)
    except (NotFound, ValidationError) as exc:
        raise NotFoundException("This message does not exist.") from exc
    if entry is None:
        raise NotFoundException("Not found.")
    return page(
        "mail/mailbox_message.html",
        user=viewer,
        to=entry.to,
        subject=entry.subject,
        date=when(entry.date),
        pieces=_linkified(entry.text),
        html=entry.html,
    )
