"""Steps the accounts unit tests share: signing up and in, and reading the mail they send."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.fakes import PUBLIC_BASE_URL, Services
from voiceqr.application.accounts.policy import Client
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import AuthenticationFailed

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
CLIENT = Client(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
PHONE = Client(ip="198.51.100.4", user_agent="Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1")


def outbox(s: Services, to: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    """Committed outbox mail, oldest first."""
    found = [
        m
        for m in s.db.outbox.values()
        if (to is None or m.to == to) and (kind is None or m.kind == kind)
    ]
    return sorted(found, key=lambda m: (m.created_at, m.id))


def the_mail(s: Services, to: str, kind: str) -> OutboxMessage:
    found = outbox(s, to, kind)
    assert len(found) == 1, [(m.to, m.kind) for m in outbox(s)]
    return found[0]


def token_from(message: OutboxMessage, path: str) -> str:
    (link,) = re.findall(r"https?://\S+", message.text)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_BASE_URL
    assert parts.path == path
    assert link in message.html
    return str(parse_qs(parts.query)["token"][0])


async def sign_up(s: Services, email: str = "ada@example.com", **changes: object) -> str:
    """Register and return the verification token from the mail."""
    values: dict[str, object] = {
        "name": "Ada",
        "email": email,
        "password": PASSWORD,
        "terms_accepted": True,
        "client": CLIENT,
    }
    values.update(changes)
    await s.accounts.register(**values)  # type: ignore[arg-type]
    return token_from(the_mail(s, email.strip().lower(), "verify_email"), "/verify-email")


async def sign_in(s: Services, email: str, password: str = PASSWORD, **kw: object) -> str:
    signed_in = await s.accounts.sign_in(
        email=email,
        password=password,
        client=kw.pop("client", CLIENT),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return signed_in.token


async def failing_sign_in(s: Services, email: str, password: str, **kw: object) -> str:
    with pytest.raises(AuthenticationFailed) as error:
        await sign_in(s, email, password, **kw)
    return error.value.code


async def current_session(s: Services, token: str) -> Session:
    found = await s.accounts.session_user(token)
    assert found is not None
    return found[1]


def stored_user(s: Services, email: str) -> User:
    (user,) = [u for u in s.db.users.values() if u.email == email]
    return user
