"""Helpers for the accounts API tests: the app they run, its clock, and the mail, sign-up
and sign-in steps most of them take.

The clock is real time plus an offset that tests move forward to reach expiries. Mail is
read from the outbox table the app writes in the same transaction as the change. A small
ASGI wrapper lets a test choose the connecting address (`X-Test-Peer`), as a proxy or a
client on the network would have."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.integration.http_helpers import (
    PASSWORD,
    SITE,
    Agent,
    RunningApp,
    assert_problem,
    running_app,
    session_token,
)
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.settings import Auth, Jobs, Settings

TRUSTED_PROXY = "10.0.0.1"
CHECK_YOUR_MAIL = {
    "detail": "If the address can receive mail, a message is on its way. Check your inbox."
}
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
NEW_PASSWORD = "a brand new passphrase"


class Clock:
    """Real time plus an offset that only moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


class PeerFromHeader:
    """The connecting address is `X-Test-Peer` when a test sends one ("testclient" else)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-peer":
                    scope = {**scope, "client": (value.decode(), 50000)}
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def running(tmp: Path, clock: Clock, auth: Auth) -> AsyncIterator[RunningApp]:
    settings = Settings(
        data_dir=str(tmp),
        auth=auth,
        # Mail is delivered when a test asks, not by the in-process sweeper.
        jobs=Jobs(sweep_interval_seconds=3600),
    )
    async with running_app(settings, wrap=PeerFromHeader, clock=clock) as app:
        yield app


def address(name: str) -> str:
    """A fresh address per test run (the app serves the whole module)."""
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def mails(app: RunningApp, to: str, kind: str | None = None) -> list[OutboxMessage]:
    """Mail the app wrote to the outbox for `to` (and of `kind`), newest first."""

    async def read() -> list[OutboxMessage]:
        async with app.uow() as uow:
            return await uow.outbox.list(status=None, limit=100_000)

    return [m for m in app.call(read) if m.to == to and (kind is None or m.kind == kind)]


def only_mail(app: RunningApp, to: str, kind: str) -> OutboxMessage:
    found = mails(app, to, kind)
    assert len(found) == 1, [(m.kind, m.created_at) for m in mails(app, to)]
    return found[0]


def link_in(message: OutboxMessage) -> str:
    """The one link of a mail's plain-text part; it starts with the public base URL."""
    links = re.findall(r"https?://\S+", message.text)
    assert len(links) == 1, message.text
    assert links[0].startswith(f"{SITE}/"), links[0]
    assert links[0] in message.html
    return str(links[0])


def token_in(message: OutboxMessage, path: str) -> str:
    parts = urlsplit(link_in(message))
    assert parts.path == path, parts
    return parse_qs(parts.query)["token"][0]


async def register(
    app: RunningApp,
    email: str,
    *,
    password: str = PASSWORD,
    name: str = "Ada Lovelace",
    terms_accepted: bool = True,
    peer: str | None = None,
) -> httpx.Response:
    headers = {"X-Test-Peer": peer} if peer else {}
    return await app.anonymous.post(
        "/api/v1/auth/register",
        json={
            "name": name,
            "email": email,
            "password": password,
            "terms_accepted": terms_accepted,
        },
        headers=headers,
    )


async def login(
    app: RunningApp,
    email: str,
    password: str = PASSWORD,
    *,
    remember_me: bool = False,
    headers: dict[str, str] | None = None,
    agent: Agent | None = None,
) -> httpx.Response:
    return await (agent or app.anonymous).post(
        "/api/v1/auth/login",
        json={"email": email, "password": password, "remember_me": remember_me},
        headers=headers or {},
    )


async def signed_in(app: RunningApp, email: str, password: str = PASSWORD, **kw: Any) -> Agent:
    response = await login(app, email, password, **kw)
    assert response.status_code == 200, response.text
    token = session_token(response)
    assert token
    return Agent(app.client, token)


def user_named(app: RunningApp, email: str) -> Any:
    return app.call(app.platform.accounts.accounts.get_by_email, email)


async def until_refused(
    attempt: Callable[[int], Awaitable[httpx.Response]], *, limit: int
) -> tuple[int, httpx.Response]:
    """Attempt until a 429. Fixed windows may split a burst in two, so a limit of N is
    certainly exceeded within 2N+1 attempts; returns (attempts, the 429)."""
    for i in range(2 * limit + 1):
        response = await attempt(i)
        if response.status_code == 429:
            return i + 1, response
        assert response.status_code != 500, response.text
    raise AssertionError(f"no 429 after {2 * limit + 1} attempts")


def assert_rate_limited(response: httpx.Response) -> None:
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) > 0
