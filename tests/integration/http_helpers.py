"""Driving the real web app in tests: the running app, signed-in agents, polling.

`litestar.testing.AsyncTestClient` runs the app (and its lifespan: the in-process
worker and the sweeper) on its own event loop in a separate thread. Everything that
touches the platform directly (creating users, reading the database) therefore runs
on that loop through the client's blocking portal (`RunningApp.call`), so database
connections never cross event loops (asyncpg connections cannot).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit
from uuid import UUID

import argon2
import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from voiceqr.adapters.database import generations
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.adapters.passwords import Argon2PasswordHasher
from voiceqr.bootstrap import Adapters, Platform, build
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import Generation, new_public_code
from voiceqr.domain.shared.ids import uuid7
from voiceqr.entrypoints.http.app import create_app
from voiceqr.settings import Auth, Settings

PASSWORD = "correct horse battery staple"
OPERATOR_REASON = "asked by the test"
SESSION_COOKIE = "voiceqr_session"
CSRF_COOKIE = "voiceqr_csrf"
CSRF_FIELD = "_csrf_token"
PROBLEM_JSON = "application/problem+json"
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
FINISHED = ("completed", "failed")
SITE = "http://127.0.0.1:8000"  # the default public base URL
# The longest text the default (espeak) voices take.
ESPEAK_MAX_CHARS = Settings().speech.espeak_max_chars

T = TypeVar("T")


def fast_hasher() -> Argon2PasswordHasher:
    """The real argon2id hasher at its lowest cost: same code, milliseconds per hash."""
    return Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class Agent:
    """One visitor: an optional session token, sent as the cookie a browser would send.

    All agents share the app's single test client; its cookie jar is emptied around
    every request, so exactly this agent's cookies (or none) go out: the session and
    the CSRF cookie a form page gave it. Redirects are not followed unless asked for,
    so tests see them.
    """

    client: AsyncTestClient[Any]
    token: str | None = None
    user: User | None = None
    csrf: str | None = None  # the CSRF cookie, once a page has set one

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = dict(headers or {})
        cookies = []
        if self.token is not None:
            cookies.append(f"{SESSION_COOKIE}={self.token}")
        if self.csrf is not None:
            cookies.append(f"{CSRF_COOKIE}={self.csrf}")
        if cookies:
            sent["Cookie"] = "; ".join(cookies)
        self.client.cookies.clear()
        try:
            return await self.client.request(
                method, url, headers=sent, follow_redirects=follow_redirects, **kwargs
            )
        finally:
            self.client.cookies.clear()

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def open_form(self, page: str, **kwargs: Any) -> httpx.Response:
        """Load a page with a form, as a browser: keep the CSRF cookie it sets."""
        response = await self.get(page, headers=BROWSER, **kwargs)
        assert response.status_code == 200, (page, response.status_code, response.text)
        cookie = response.cookies.get(CSRF_COOKIE)
        if cookie:
            self.csrf = cookie
        return response

    async def post_form(
        self, action: str, data: dict[str, str], *, form: httpx.Response, **kwargs: Any
    ) -> httpx.Response:
        """Post a form with the hidden CSRF token of the page it came from."""
        headers = {**BROWSER, **kwargs.pop("headers", {})}
        fields = {**data, CSRF_FIELD: csrf_token(form.text)}
        return await self.post(action, data=fields, headers=headers, **kwargs)

    async def submit(
        self, page: str, action: str, data: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        """Open the form page, then post `data` to `action` like the browser would."""
        return await self.post_form(action, data, form=await self.open_form(page), **kwargs)


@dataclass
class Visitor:
    """One browser: keeps every cookie the app sets (and drops the ones it expires)."""

    client: AsyncTestClient[Any]
    cookies: dict[str, str] = field(default_factory=dict)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.client.cookies.clear()
        try:
            response = await self.client.request(
                method, url, headers=headers, follow_redirects=False, **kwargs
            )
        finally:
            self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if cookie_attributes(header).get("max-age") == "0" or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def me(self) -> dict[str, Any] | None:
        response = await self.get("/api/v1/me")
        return response.json() if response.status_code == 200 else None


@dataclass
class RunningApp:
    """The app on a built platform, started by an entered AsyncTestClient.

    `uow` is the database the test gave the platform (see `running_app`): tests read
    and write rows through it, as the platform's own adapters are not reachable.
    """

    platform: Platform
    client: AsyncTestClient[Any]
    uow: SqlUnitOfWorkFactory

    def call(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """Run `await fn(*args, **kwargs)` on the app's event loop and return its result."""
        return self.client.blocking_portal.call(functools.partial(fn, *args, **kwargs))

    @property
    def anonymous(self) -> Agent:
        return Agent(self.client)

    def create_user(self, email: str, *, role: Role = Role.USER, password: str = PASSWORD) -> User:
        return self.call(
            self.platform.accounts.accounts.create_user,
            email=email,
            name=email.split("@")[0].title(),
            password=password,
            role=role,
            actor=OPERATOR,
        )

    def operator_sets_status(self, email: str, status: UserStatus) -> User:
        """The operator disables or enables the account with `email`, as the CLI does."""

        async def change() -> User:
            staff = self.platform.accounts.staff
            user_id = await self._id_of(email)
            return await staff.set_status(OPERATOR, user_id, status, reason=OPERATOR_REASON)

        return self.call(change)

    def operator_locks(self, email: str, until: datetime) -> User:
        """The operator locks the account with `email` until a time, as the CLI does."""

        async def change() -> User:
            staff = self.platform.accounts.staff
            user_id = await self._id_of(email)
            return await staff.lock(OPERATOR, user_id, until=until, reason=OPERATOR_REASON)

        return self.call(change)

    async def _id_of(self, email: str) -> UUID:
        user = await self.platform.accounts.accounts.get_by_email(email)
        assert user is not None, email
        return user.id

    async def sign_in(self, email: str, password: str = PASSWORD) -> Agent:
        """Sign in through the JSON API; the agent carries the session cookie it got."""
        response = await self.anonymous.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 200, response.text
        token = session_token(response)
        assert token
        user = self.call(self.platform.accounts.accounts.user_for_session, token)
        assert user is not None
        return Agent(self.client, token, user)

    async def new_user(self, email: str, *, role: Role = Role.USER) -> Agent:
        self.create_user(email, role=role)
        return await self.sign_in(email)

    def count_generations(self, owner_id: UUID) -> int:
        """Rows in the generations table for this owner, read straight from the database."""

        async def count() -> int:
            async with self.uow.engine.connect() as connection:
                result = await connection.execute(
                    select(func.count())
                    .select_from(generations.generations)
                    .where(generations.generations.c.owner_id == owner_id)
                )
                return int(result.scalar_one())

        return self.call(count)

    def insert_generation(self, generation: Generation) -> None:
        """Store a generation as-is (no queue), e.g. one waiting for a later retry."""

        async def insert() -> None:
            async with self.uow() as uow:
                await uow.generations.add(generation)
                await uow.commit()

        self.call(insert)


def session_token(response: httpx.Response) -> str | None:
    return response.cookies.get(SESSION_COOKIE)


def set_cookie_header(response: httpx.Response, name: str = SESSION_COOKIE) -> str:
    """The one Set-Cookie header of `name` on a response."""
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def cookie_attributes(header: str) -> dict[str, str]:
    """Set-Cookie attributes, lower-cased names: {'httponly': '', 'samesite': 'lax', ...}."""
    attributes: dict[str, str] = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with this status (and code); returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"].startswith("urn:voiceqr:problem:")
    if code is not None:
        assert body["code"] == code, body
    return body


async def wait_until_finished(
    agent: Agent, generation_id: str, *, within: float = 30.0
) -> dict[str, Any]:
    """Poll the generation until it is completed or failed (bounded)."""
    deadline = time.monotonic() + within
    while True:
        response = await agent.get(f"/api/v1/generations/{generation_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"generation still {body['status']} after {within}s: {body}")
        await asyncio.sleep(0.05)


async def wait_for_counts(
    agent: Agent, generation_id: str, *, scans: int, listens: int, within: float = 5.0
) -> dict[str, Any]:
    """Poll the generation until its counts are these: scans and listens are stored
    in batches, at least every second (VOICEQR_PLAYBACK_FLUSH_SECONDS)."""
    deadline = time.monotonic() + within
    while True:
        response = await agent.get(f"/api/v1/generations/{generation_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if (body["scans"], body["listens"]) == (scans, listens):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(
                f"counts still {body['scans']} scans, {body['listens']} listens "
                f"after {within}s, not {scans} and {listens}"
            )
        await asyncio.sleep(0.05)


def due_tomorrow(owner_id: UUID, voice_id: UUID, text: str) -> Generation:
    """A pending generation whose next attempt is tomorrow: no worker touches it."""
    now = datetime.now(UTC)
    return Generation(
        id=uuid7(),
        owner_id=owner_id,
        voice_id=voice_id,
        text=text,
        public_code=new_public_code(),
        created_at=now,
        attempts=1,
        next_attempt_at=now + timedelta(days=1),
        updated_at=now,
    )


class _AudioFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "audio":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


def audio_sources(html: str) -> list[str]:
    """The src of every <audio> element of a page."""
    finder = _AudioFinder()
    finder.feed(html)
    return finder.sources


async def fetch_audio(agent: Agent, url: str, **kwargs: Any) -> bytes:
    """The audio at `url`, which must be served whole as MP3."""
    response = await agent.get(url, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    return response.content


def looks_like_mp3(data: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame sync at the start."""
    return data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def stays_on_site(location: str) -> bool:
    """Whether a browser following this Location header stays on the site.

    Browsers are lenient: they drop tabs and newlines and read a backslash as a
    slash, so `/\\evil.example` leaves the site; check what a browser would do.
    """
    as_browser = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    resolved = urlsplit(urljoin(f"{SITE}/signin", as_browser))
    return f"{resolved.scheme}://{resolved.netloc}" == SITE


def is_html(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("text/html")


HIDDEN_NEXT = re.compile(r'name="next" value="([^"]*)"')
HIDDEN_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')


def csrf_token(html: str) -> str:
    """The hidden CSRF token of a page's forms (all forms of a page carry the same one)."""
    tokens = set(HIDDEN_CSRF.findall(html))
    assert len(tokens) == 1, tokens
    return str(tokens.pop())


GENEROUS_LIMITS = Auth(sign_in_per_minute=10_000, emails_per_hour=10_000)


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, *, wrap: Callable[[Litestar], Any] | None = None, **overrides: Any
) -> AsyncIterator[RunningApp]:
    """The app on `settings` with the fast hasher; `overrides` go to `bootstrap.build`
    (speech=, storage=, clock=...), and `wrap` may put an ASGI middleware around it.

    The test makes the database adapter and passes it in, so it can read rows the API
    does not show; the platform closes only what it made, so the app closes this one
    once the platform has stopped (on its own event loop, as asyncpg requires).
    """
    uow = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(**{"hasher": fast_hasher(), **overrides, "uow": uow}))
    app = create_app(platform)
    app.on_shutdown.append(uow.dispose)
    async with AsyncTestClient(app if wrap is None else wrap(app)) as client:
        yield RunningApp(platform, client, uow)


@contextlib.asynccontextmanager
async def embedded_app(data_dir: Path, **overrides: Any) -> AsyncIterator[RunningApp]:
    """The app on a fresh embedded data directory (SQLite, local files, espeak, the
    in-process worker), with rate limits no test reaches and the fast hasher.
    `overrides` go to `bootstrap.build` (speech=, storage=, clock=...)."""
    settings = Settings(data_dir=str(data_dir), auth=GENEROUS_LIMITS)
    async with running_app(settings, **overrides) as app:
        yield app
