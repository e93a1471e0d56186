"""Self-service accounts through the JSON API, on the real embedded app (A1-A4, A7-A9, P1).

One app (SQLite in a temporary data directory, the real argon2id hasher at its lowest
cost) serves the module; each test uses its own addresses. Its clock is real time plus
an offset that tests move forward to reach expiries. Mail is read from the outbox
table the app writes in the same transaction as the change; one test delivers it and
reads the `.eml` files. A small ASGI wrapper lets a test choose the connecting
address (`X-Test-Peer`), as a proxy or a client on the network would have.

Rate limits are generous on the main app and strict on a second one used only by the
rate-limit tests.
"""

from __future__ import annotations

import base64
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio
from litestar.testing import AsyncTestClient

from tests.integration.http_helpers import (
    PASSWORD,
    SITE,
    Agent,
    RunningApp,
    assert_problem,
    cookie_attributes,
    fast_hasher,
    session_token,
    set_cookie_header,
    wait_until_finished,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.adapters.mail.outbox import list_outbox
from voiceqr.bootstrap import build
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.entrypoints.http.app import create_app
from voiceqr.settings import Auth, Jobs, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

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
    platform = build(settings, hasher=fast_hasher(), clock=clock)
    async with AsyncTestClient(PeerFromHeader(create_app(platform))) as client:
        yield RunningApp(platform, client)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> AsyncIterator[RunningApp]:
    auth = Auth(sign_in_per_minute=10_000, emails_per_hour=10_000, trusted_proxies=TRUSTED_PROXY)
    async with running(tmp_path_factory.mktemp("accounts"), clock, auth) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def strict_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    auth = Auth(sign_in_per_minute=5, emails_per_hour=3)
    async with running(tmp_path_factory.mktemp("strict"), Clock(), auth) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    voices = (await app.anonymous.get("/api/v1/voices")).json()
    assert voices
    return str(voices[0]["id"])


# --- helpers ----------------------------------------------------------------------------


def address(name: str) -> str:
    """A fresh address per test run (the app serves the whole module)."""
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def mails(app: RunningApp, to: str, kind: str | None = None) -> list[OutboxMessage]:
    """Mail the app wrote to the outbox for `to` (and of `kind`), newest first."""

    async def read() -> list[OutboxMessage]:
        async with app.platform.uow() as uow:
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
    return app.call(app.platform.accounts.get_by_email, email)


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


# --- sign-up and verification (A1, A3) -------------------------------------------------


async def test_sign_up_mails_a_link_that_verifies_then_a_welcome(
    app: RunningApp, voice_id: str
) -> None:
    email = address("signup")

    response = await register(app, email.upper(), name="  Ada   Lovelace ")

    assert response.status_code == 202, response.text
    assert response.json() == CHECK_YOUR_MAIL
    user = user_named(app, email)
    assert user is not None
    assert user.name == "Ada Lovelace"
    assert not user.is_verified
    assert user.terms_accepted_at is not None
    assert user.password_hash is not None
    assert PASSWORD not in user.password_hash
    verification = only_mail(app, email, "verify_email")
    token = token_in(verification, "/verify-email")

    # The mail really goes out: a plain-text and an HTML part, with the same link.
    assert app.call(app.platform.mail_delivery.deliver_due) >= 1
    (sent,) = [m for m in list_outbox(app.platform.settings.data_path / "outbox") if m.to == email]
    assert sent.subject == "Confirm your email address"
    assert link_in(verification) in sent.text
    assert sent.html is not None
    assert link_in(verification) in sent.html

    # Unverified: signs in, but cannot make generations yet.
    agent = await signed_in(app, email)
    me = (await agent.get("/api/v1/me")).json()
    assert (me["email"], me["email_verified"]) == (email, False)
    refused = await agent.post("/api/v1/generations", json={"text": "Hi", "voice_id": voice_id})
    assert_problem(refused, 403, "email_unverified")

    verified = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})

    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True
    assert (await agent.get("/api/v1/me")).json()["email_verified"] is True
    welcome = only_mail(app, email, "welcome")
    assert link_in(welcome) == f"{SITE}/generations/new"
    again = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})
    assert_problem(again, 422, "link_invalid")
    assert len(mails(app, email, "welcome")) == 1
    created = await agent.post(
        "/api/v1/generations", json={"text": "Verified now.", "voice_id": voice_id}
    )
    assert created.status_code == 202, created.text
    assert (await wait_until_finished(agent, created.json()["id"]))["status"] == "completed"


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 200])
async def test_a_bad_verification_link_is_refused(app: RunningApp, token: str) -> None:
    response = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})
    assert_problem(response, 422, "link_invalid")


async def test_sign_up_with_a_taken_email_answers_the_same_and_tells_the_owner(
    app: RunningApp,
) -> None:
    email = address("taken")
    first = await register(app, email, name="Owner")
    operator_made = address("operator")
    app.create_user(operator_made)

    second = await register(app, f"  {email.upper()} ", name="Intruder", password=NEW_PASSWORD)
    third = await register(app, operator_made, name="Intruder", password=NEW_PASSWORD)

    for response in (second, third):
        assert (response.status_code, response.json()) == (first.status_code, first.json())
    assert len(mails(app, email, "verify_email")) == 1
    for owner in (email, operator_made):
        attempt = only_mail(app, owner, "signup_attempt")
        assert link_in(attempt) == f"{SITE}/forgot-password"
    assert [u.email for u in app.call(app.platform.accounts.list_users, OPERATOR)].count(email) == 1
    assert user_named(app, email).name == "Owner"
    assert (await login(app, email)).status_code == 200
    assert_problem(await login(app, email, NEW_PASSWORD), 401, "bad_credentials")
    assert (await login(app, operator_made)).status_code == 200


@pytest.mark.parametrize("terms", [False, None], ids=["declined", "missing"])
async def test_the_terms_must_be_accepted(app: RunningApp, terms: bool | None) -> None:
    email = address("terms")
    body: dict[str, Any] = {"name": "Ada", "email": email, "password": PASSWORD}
    if terms is not None:
        body["terms_accepted"] = terms

    response = await app.anonymous.post("/api/v1/auth/register", json=body)

    assert_problem(response, 422, "terms_required")
    assert user_named(app, email) is None
    assert mails(app, email) == []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("", "password_too_short"),
        ("seven77", "password_too_short"),
        ("password1", "password_common"),
        ("Password1", "password_common"),
        ("iloveyou", "password_common"),
        ("12345678", "password_common"),
        ("x" * 1025, "password_too_long"),
    ],
    ids=["empty", "seven", "common", "common-capitalized", "common-2", "digits", "too-long"],
)
async def test_weak_passwords_are_refused_and_nothing_is_stored(
    app: RunningApp, password: str, code: str
) -> None:
    email = address("weak")

    response = await register(app, email, password=password)

    assert_problem(response, 422, code)
    assert user_named(app, email) is None
    assert mails(app, email) == []


async def test_passwords_are_checked_exactly_as_typed_without_composition_rules(
    app: RunningApp,
) -> None:
    cases = {
        address("eight"): "zqxwvyut",  # 8 lower-case letters are enough
        address("spaces"): "  spaced out phrase  ",
        address("unicode"): "pässwörd ✓ 密码",
        address("long"): "x" * 1024,
    }
    for email, password in cases.items():
        assert (await register(app, email, password=password)).status_code == 202
        assert (await login(app, email, password)).status_code == 200
    spaced = next(e for e in cases if e.startswith("spaces"))
    assert_problem(await login(app, spaced, "spaced out phrase"), 401, "bad_credentials")
    unicode = next(e for e in cases if e.startswith("unicode"))
    assert_problem(await login(app, unicode, "PÄSSWÖRD ✓ 密码"), 401, "bad_credentials")


async def test_resend_verification_replaces_the_link_and_says_nothing_about_accounts(
    app: RunningApp,
) -> None:
    email = address("resend")
    await register(app, email)
    old_token = token_in(only_mail(app, email, "verify_email"), "/verify-email")
    verified_email = address("already")
    app.create_user(verified_email)

    replies = [
        await app.anonymous.post("/api/v1/auth/resend-verification", json={"email": e})
        for e in (email, address("nobody"), verified_email, "not an email")
    ]

    for reply in replies:
        assert (reply.status_code, reply.json()) == (202, CHECK_YOUR_MAIL)
    assert mails(app, verified_email) == []
    links = mails(app, email, "verify_email")
    assert len(links) == 2
    new_token = token_in(links[0], "/verify-email")  # newest first
    stale = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": old_token})
    assert_problem(stale, 422, "link_invalid")
    fresh = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": new_token})
    assert fresh.status_code == 200
    assert user_named(app, email).is_verified


# --- forgotten passwords (A2) ------------------------------------------------------------


async def test_a_reset_link_works_once_ends_every_session_and_the_owner_is_told(
    app: RunningApp,
) -> None:
    email = address("forgot")
    app.create_user(email)
    laptop, phone = await signed_in(app, email), await signed_in(app, email)

    known = await app.anonymous.post("/api/v1/auth/forgot-password", json={"email": email})
    unknown = await app.anonymous.post(
        "/api/v1/auth/forgot-password", json={"email": address("ghost")}
    )

    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert (known.status_code, known.json()) == (202, CHECK_YOUR_MAIL)
    token = token_in(only_mail(app, email, "reset_password"), "/reset-password")
    # A weak new password is refused without spending the link.
    weak = await app.anonymous.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": "password1"}
    )
    assert_problem(weak, 422, "password_common")

    reset = await app.anonymous.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
    )

    assert reset.status_code == 200, reset.text
    for agent in (laptop, phone):
        assert_problem(await agent.get("/api/v1/me"), 401)
    assert_problem(await login(app, email), 401, "bad_credentials")
    assert (await login(app, email, NEW_PASSWORD)).status_code == 200
    told = only_mail(app, email, "password_changed")
    assert "every other session was signed out" in told.text
    again = await app.anonymous.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": "yet another one"}
    )
    assert_problem(again, 422, "link_invalid")
    assert (await login(app, email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_link_expires_after_30_minutes_and_a_newer_one_replaces_it(
    app: RunningApp, clock: Clock
) -> None:
    email = address("expire")
    app.create_user(email)

    async def reset_link() -> str:
        await app.anonymous.post("/api/v1/auth/forgot-password", json={"email": email})
        return token_in(mails(app, email, "reset_password")[0], "/reset-password")

    async def reset(token: str) -> httpx.Response:
        return await app.anonymous.post(
            "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
        )

    expired = await reset_link()
    clock.advance(minutes=30, seconds=1)
    assert_problem(await reset(expired), 422, "link_invalid")

    replaced = await reset_link()
    newest = await reset_link()
    assert_problem(await reset(replaced), 422, "link_invalid")
    clock.advance(minutes=29)
    assert (await reset(newest)).status_code == 200
    assert (await login(app, email, NEW_PASSWORD)).status_code == 200


# --- lockout (A4) -------------------------------------------------------------------------


async def test_ten_failures_lock_the_account_and_the_mailed_link_unlocks_it(
    app: RunningApp,
) -> None:
    email = address("lock")
    app.create_user(email)

    for _ in range(9):
        assert_problem(await login(app, email, "wrong guess"), 401, "bad_credentials")
    assert mails(app, email, "account_locked") == []
    wrong = await login(app, email, "wrong guess")
    locked = await login(app, email)
    unknown = await login(app, address("nobody"))

    bodies = [assert_problem(r, 401, "bad_credentials") for r in (wrong, locked, unknown)]
    assert bodies[0] == bodies[1] == bodies[2]
    for response in (wrong, locked, unknown):
        assert not response.headers.get_list("set-cookie")
    token = token_in(only_mail(app, email, "account_locked"), "/unlock")

    unlocked = await app.anonymous.post("/api/v1/auth/unlock", json={"token": token})

    assert unlocked.status_code == 200, unlocked.text
    assert (await login(app, email)).status_code == 200
    again = await app.anonymous.post("/api/v1/auth/unlock", json={"token": token})
    assert_problem(again, 422, "link_invalid")


async def test_a_lock_lasts_15_minutes_and_only_failures_within_15_minutes_count(
    app: RunningApp, clock: Clock
) -> None:
    spread = address("spread")
    app.create_user(spread)
    for _ in range(9):
        await login(app, spread, "wrong guess")
    clock.advance(minutes=15, seconds=1)
    for _ in range(9):
        await login(app, spread, "wrong guess")
    assert (await login(app, spread)).status_code == 200  # 9 in any 15 minutes: no lock

    email = address("locked")
    app.create_user(email)
    for _ in range(10):
        await login(app, email, "wrong guess")
    clock.advance(minutes=14, seconds=50)
    assert_problem(await login(app, email), 401, "bad_credentials")
    clock.advance(seconds=20)
    assert (await login(app, email)).status_code == 200
    assert len(mails(app, email, "account_locked")) == 1


async def test_a_lockout_from_failed_sign_ins_does_not_sign_the_owner_out(
    app: RunningApp,
) -> None:
    """Whoever knows an address can lock it; that must not end its owner's sessions."""
    email = address("guessed")
    app.create_user(email)
    owner = await signed_in(app, email)

    for _ in range(10):
        await login(app, email, "attacker guess", headers={"X-Test-Peer": "192.0.2.66"})

    assert only_mail(app, email, "account_locked")
    assert_problem(await login(app, email), 401, "bad_credentials")
    assert (await owner.get("/api/v1/me")).status_code == 200


# --- rate limits (strict app: 5 sign-ins a minute, 3 mails an hour) ------------------------


async def test_sign_in_is_rate_limited_per_address(strict_app: RunningApp) -> None:
    app = strict_app
    email = address("per-ip")
    app.create_user(email)
    peer = "192.0.2.10"

    attempts, refused = await until_refused(
        lambda i: login(app, address(f"guess{i}"), headers={"X-Test-Peer": peer}), limit=5
    )

    assert attempts > 5
    assert_rate_limited(refused)
    # The right password from that address is refused too; another address is served.
    assert_rate_limited(await login(app, email, headers={"X-Test-Peer": peer}))
    assert (await login(app, email, headers={"X-Test-Peer": "192.0.2.11"})).status_code == 200


async def test_sign_in_is_rate_limited_per_account(strict_app: RunningApp) -> None:
    app = strict_app
    email = address("per-account")
    app.create_user(email)

    attempts, refused = await until_refused(
        lambda i: login(app, email, "wrong", headers={"X-Test-Peer": f"198.51.100.{i + 1}"}),
        limit=5,
    )

    assert attempts > 5
    assert_rate_limited(refused)
    assert_rate_limited(await login(app, email, headers={"X-Test-Peer": "198.51.100.200"}))
    other = address("other-account")
    app.create_user(other)
    assert (await login(app, other, headers={"X-Test-Peer": "198.51.100.201"})).status_code == 200


async def test_mail_sending_endpoints_are_rate_limited_per_address_and_per_account(
    strict_app: RunningApp,
) -> None:
    app = strict_app

    def post(path: str, body: dict[str, Any], peer: str) -> Awaitable[httpx.Response]:
        return app.anonymous.post(f"/api/v1/auth/{path}", json=body, headers={"X-Test-Peer": peer})

    # Per address: different accounts from one address.
    _, refused = await until_refused(
        lambda i: register(app, address(f"signup{i}"), peer="192.0.2.20"), limit=3
    )
    assert_rate_limited(refused)
    _, refused = await until_refused(
        lambda i: post("forgot-password", {"email": address(f"f{i}")}, "192.0.2.21"), limit=3
    )
    assert_rate_limited(refused)
    _, refused = await until_refused(
        lambda i: post("resend-verification", {"email": address(f"r{i}")}, "192.0.2.22"), limit=3
    )
    assert_rate_limited(refused)

    # Per account: one address asked for from many places; no mail once refused.
    email = address("flooded")
    app.create_user(email)
    _, refused = await until_refused(
        lambda i: post("forgot-password", {"email": email}, f"203.0.113.{i + 1}"), limit=3
    )
    assert_rate_limited(refused)
    sent = len(mails(app, email, "reset_password"))
    assert 3 <= sent <= 6
    assert_rate_limited(await post("forgot-password", {"email": email}, "203.0.113.99"))
    assert len(mails(app, email, "reset_password")) == sent


async def test_typing_the_password_again_is_rate_limited_like_sign_in(
    strict_app: RunningApp,
) -> None:
    """A stolen session must not become a way to guess the password without limits."""
    app = strict_app
    email = address("reauth")
    app.create_user(email)
    agent = await signed_in(app, email, headers={"X-Test-Peer": "192.0.2.30"})

    _, refused = await until_refused(
        lambda i: agent.post("/api/v1/me/reauthenticate", json={"password": f"guess {i}"}),
        limit=5,
    )

    assert_rate_limited(refused)
    assert_rate_limited(await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD}))
    changing = await agent.post(
        "/api/v1/me/password", json={"current_password": "guess", "new_password": NEW_PASSWORD}
    )
    assert_rate_limited(changing)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_another_site_cannot_sign_a_visitor_in_with_a_form(
    app: RunningApp, content_type: str
) -> None:
    """An HTML form can post a text/plain body that is valid JSON with a password of
    the attacker's choosing ("pw=rest"); only application/json is read (login CSRF)."""
    email = address("attacker")
    app.create_user(email, password="attacker pw=rest")
    body = f'{{"email": "{email}", "remember_me": false, "password": "attacker pw=rest"}}'

    response = await app.anonymous.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": content_type}
    )
    signup = await app.anonymous.post(
        "/api/v1/auth/register",
        content=f'{{"name": "X", "email": "{address("csrf")}", "password": "{PASSWORD}", '
        '"terms_accepted": true}',
        headers={"Content-Type": content_type},
    )

    for refused in (response, signup):
        assert_problem(refused, 415)
        assert not refused.headers.get_list("set-cookie")
    as_json = await app.anonymous.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert as_json.status_code == 200


# --- the client address (trusted proxies) ----------------------------------------------------


async def test_the_client_address_comes_from_x_forwarded_for_only_through_trusted_proxies(
    app: RunningApp,
) -> None:
    email = address("proxy")
    app.create_user(email)
    cases = [
        # (the connecting peer, X-Forwarded-For, the address recorded)
        ("198.51.100.20", "1.2.3.4", "198.51.100.20"),  # a client cannot choose its address
        (TRUSTED_PROXY, "1.2.3.4, 203.0.113.50", "203.0.113.50"),  # the proxy's view wins
        (TRUSTED_PROXY, f"203.0.113.60, {TRUSTED_PROXY}", "203.0.113.60"),  # chained proxies
        (TRUSTED_PROXY, "", TRUSTED_PROXY),
    ]
    for peer, forwarded, _ in cases:
        headers = {"X-Test-Peer": peer, "User-Agent": FIREFOX}
        if forwarded:
            headers["X-Forwarded-For"] = forwarded
        assert (await login(app, email, headers=headers)).status_code == 200

    agent = await signed_in(app, email)
    activity = (await agent.get("/api/v1/me/login-activity")).json()
    recorded = [event["ip"] for event in activity[1:5]]  # newest first; skip this sign-in
    assert recorded == [expected for _, _, expected in reversed(cases)]


# --- sessions (A7, A9) -------------------------------------------------------------------------


async def test_every_sign_in_gets_a_new_random_session_in_a_safe_browser_session_cookie(
    app: RunningApp,
) -> None:
    email = address("cookie")
    app.create_user(email)
    first = await login(app, email)
    planted = Agent(app.client, "attacker-chosen-session-id")
    second = await login(app, email, agent=planted)  # a fixed cookie does not survive

    tokens = [session_token(first), session_token(second)]
    assert tokens[0]
    assert tokens[1]
    assert tokens[0] != tokens[1]
    assert "attacker-chosen-session-id" not in tokens
    for token in tokens:
        assert token is not None
        padded = token + "=" * (-len(token) % 4)
        assert len(base64.urlsafe_b64decode(padded)) * 8 >= 128
    attributes = cookie_attributes(set_cookie_header(first))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert "secure" not in attributes  # development serves plain http
    assert "max-age" not in attributes  # ends with the browser
    assert "expires" not in attributes
    agent = Agent(app.client, tokens[0])
    listed = (await agent.get("/api/v1/me/sessions")).json()
    assert len(listed) == 2


async def test_remember_me_keeps_the_session_for_30_days(app: RunningApp, clock: Clock) -> None:
    email = address("remember")
    app.create_user(email)

    response = await login(app, email, remember_me=True)

    assert response.status_code == 200
    attributes = cookie_attributes(set_cookie_header(response))
    assert int(attributes["max-age"]) == 30 * 86400
    agent = Agent(app.client, session_token(response))
    clock.advance(hours=3)  # longer than the 2-hour idle timeout of a browser session
    assert (await agent.get("/api/v1/me")).status_code == 200
    clock.advance(hours=13)  # and than the 12-hour absolute limit
    assert (await agent.get("/api/v1/me")).status_code == 200
    (session,) = (await agent.get("/api/v1/me/sessions")).json()
    assert session["remember_me"] is True
    clock.advance(days=30)
    assert_problem(await agent.get("/api/v1/me"), 401)


async def test_a_session_ends_after_2_idle_hours(app: RunningApp, clock: Clock) -> None:
    email = address("idle")
    app.create_user(email)
    agent = await signed_in(app, email)

    for _ in range(3):  # each request slides the idle deadline
        clock.advance(hours=1, minutes=55)
        assert (await agent.get("/api/v1/me")).status_code == 200
    clock.advance(hours=2, minutes=1)

    assert_problem(await agent.get("/api/v1/me"), 401)
    assert agent.token is not None
    assert app.call(app.platform.accounts.user_for_session, agent.token) is None


async def test_a_session_ends_after_12_hours_however_busy(app: RunningApp, clock: Clock) -> None:
    email = address("absolute")
    app.create_user(email)
    agent = await signed_in(app, email)

    for _ in range(6):
        clock.advance(hours=1, minutes=59)
        assert (await agent.get("/api/v1/me")).status_code == 200
    clock.advance(minutes=7)  # 12 h 1 min after signing in

    assert_problem(await agent.get("/api/v1/me"), 401)


async def test_sessions_are_listed_and_ended_one_or_all_others(app: RunningApp) -> None:
    email = address("devices")
    app.create_user(email)
    laptop = await signed_in(app, email, headers={"User-Agent": FIREFOX})
    phone = await signed_in(app, email, headers={"User-Agent": IPHONE})
    tablet = await signed_in(app, email)
    stranger_email = address("stranger")
    app.create_user(stranger_email)
    stranger = await signed_in(app, stranger_email)

    listed = (await laptop.get("/api/v1/me/sessions")).json()

    assert len(listed) == 3
    assert [s["current"] for s in listed].count(True) == 1
    mine = next(s for s in listed if s["current"])
    assert (mine["device"], mine["browser"], mine["method"]) == ("desktop", "Firefox", "password")
    phones = [s for s in listed if s["device"] == "mobile"]
    assert len(phones) == 1
    assert phones[0]["browser"] == "Safari"
    assert all(s["ip"] == "testclient" and s["last_seen_at"] for s in listed)
    phone_id = phones[0]["id"]
    stranger_id = (await stranger.get("/api/v1/me/sessions")).json()[0]["id"]

    # Another user's session is not found, and keeps working.
    assert_problem(await laptop.delete(f"/api/v1/me/sessions/{stranger_id}"), 404)
    assert_problem(await laptop.delete(f"/api/v1/me/sessions/{uuid.uuid4()}"), 404)
    assert (await stranger.get("/api/v1/me")).status_code == 200

    assert (await laptop.delete(f"/api/v1/me/sessions/{phone_id}")).status_code == 204
    assert_problem(await phone.get("/api/v1/me"), 401)
    assert len((await laptop.get("/api/v1/me/sessions")).json()) == 2

    assert (await laptop.delete("/api/v1/me/sessions")).status_code == 204
    assert_problem(await tablet.get("/api/v1/me"), 401)
    assert (await laptop.get("/api/v1/me")).status_code == 200
    assert [s["current"] for s in (await laptop.get("/api/v1/me/sessions")).json()] == [True]
    assert (await stranger.get("/api/v1/me")).status_code == 200
    assert_problem(await app.anonymous.get("/api/v1/me/sessions"), 401)


async def test_logout_ends_the_session_on_the_server(app: RunningApp) -> None:
    email = address("logout")
    app.create_user(email)
    agent, other = await signed_in(app, email), await signed_in(app, email)

    response = await agent.post("/api/v1/auth/logout")

    assert response.status_code == 204
    assert cookie_attributes(set_cookie_header(response))["max-age"] == "0"
    assert_problem(await agent.get("/api/v1/me"), 401)  # someone who kept the cookie
    assert len((await other.get("/api/v1/me/sessions")).json()) == 1
    assert (await app.anonymous.post("/api/v1/auth/logout")).status_code == 204


# --- login activity (A8) -------------------------------------------------------------------


async def test_login_activity_shows_successes_and_failures_with_address_and_device(
    app: RunningApp,
) -> None:
    email = address("activity")
    app.create_user(email)
    await login(app, email, "wrong guess", headers={"User-Agent": IPHONE})
    agent = await signed_in(app, email, headers={"User-Agent": FIREFOX})
    other = address("someone-else")
    app.create_user(other)
    await login(app, other, "wrong guess")

    activity = (await agent.get("/api/v1/me/login-activity")).json()

    assert len(activity) == 2
    success, failure = activity
    assert (success["success"], success["method"], success["reason"]) == (True, "password", "")
    assert (success["ip"], success["device"], success["user_agent"]) == (
        "testclient",
        "desktop",
        FIREFOX,
    )
    assert (failure["success"], failure["reason"], failure["device"]) == (
        False,
        "bad_credentials",
        "mobile",
    )
    assert datetime.fromisoformat(success["occurred_at"]) >= datetime.fromisoformat(
        failure["occurred_at"]
    )
    assert len((await agent.get("/api/v1/me/login-activity", params={"limit": 1})).json()) == 1
    assert_problem(await agent.get("/api/v1/me/login-activity", params={"limit": 0}), 400)
    assert_problem(await app.anonymous.get("/api/v1/me/login-activity"), 401)


# --- profile: email and password (P1, A3) ---------------------------------------------------


async def test_changing_the_email_needs_the_password_within_5_minutes_and_a_confirmation(
    app: RunningApp, clock: Clock
) -> None:
    old, new = address("old"), address("new")
    app.create_user(old)
    agent = await signed_in(app, old)
    clock.advance(minutes=5, seconds=1)

    refused = await agent.patch("/api/v1/me", json={"email": new})

    assert_problem(refused, 403, "reauthentication_required")
    assert mails(app, new) == []
    wrong = await agent.post("/api/v1/me/reauthenticate", json={"password": "wrong guess"})
    assert_problem(wrong, 401, "bad_password")
    assert (
        await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD})
    ).status_code == 204

    asked = await agent.patch("/api/v1/me", json={"email": new, "name": "Ada B."})

    assert asked.status_code == 200, asked.text
    assert (asked.json()["email"], asked.json()["name"]) == (old, "Ada B.")  # not yet
    token = token_in(only_mail(app, new, "change_email"), "/verify-email")
    assert new in only_mail(app, old, "email_change_requested").text
    assert_problem(await login(app, new), 401)
    assert (await login(app, old)).status_code == 200

    confirmed = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == new
    assert (await agent.get("/api/v1/me")).json()["email"] == new
    assert new in only_mail(app, old, "email_changed").text
    assert (await login(app, new)).status_code == 200
    assert_problem(await login(app, old), 401)
    again = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})
    assert_problem(again, 422, "link_invalid")
    clock.advance(minutes=5, seconds=1)  # the window closes again
    assert_problem(
        await agent.patch("/api/v1/me", json={"email": address("third")}),
        403,
        "reauthentication_required",
    )


async def test_changing_to_a_taken_email_looks_the_same_and_mails_nobody(app: RunningApp) -> None:
    mine, theirs = address("mine"), address("theirs")
    app.create_user(mine)
    app.create_user(theirs)
    agent = await signed_in(app, mine)  # signing in opens the 5-minute window

    taken = await agent.patch("/api/v1/me", json={"email": theirs})
    free = await agent.patch("/api/v1/me", json={"email": address("free")})

    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    assert mails(app, theirs) == []
    assert mails(app, mine, "email_change_requested") != []
    assert_problem(await agent.patch("/api/v1/me", json={"email": mine.upper()}), 422)
    assert_problem(await agent.patch("/api/v1/me", json={"email": "nope"}), 422)


async def test_confirming_an_address_someone_took_meanwhile_is_a_conflict(
    app: RunningApp,
) -> None:
    mine, wanted = address("slow"), address("wanted")
    app.create_user(mine)
    agent = await signed_in(app, mine)
    assert (await agent.patch("/api/v1/me", json={"email": wanted})).status_code == 200
    token = token_in(only_mail(app, wanted, "change_email"), "/verify-email")
    assert (await register(app, wanted)).status_code == 202

    confirmed = await app.anonymous.post("/api/v1/auth/verify-email", json={"token": token})

    assert_problem(confirmed, 409, "email_taken")
    assert (await agent.get("/api/v1/me")).json()["email"] == mine
    assert mails(app, mine, "email_changed") == []


async def test_changing_the_password_ends_the_other_sessions(app: RunningApp) -> None:
    email = address("change-password")
    app.create_user(email)
    current, other = await signed_in(app, email), await signed_in(app, email)

    wrong = await current.post(
        "/api/v1/me/password",
        json={"current_password": "wrong guess", "new_password": NEW_PASSWORD},
    )
    weak = await current.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1"}
    )
    assert_problem(wrong, 401, "bad_password")
    assert_problem(weak, 422, "password_common")
    assert (await other.get("/api/v1/me")).status_code == 200

    changed = await current.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert changed.status_code == 204, changed.text
    assert (await current.get("/api/v1/me")).status_code == 200
    assert_problem(await other.get("/api/v1/me"), 401)
    assert only_mail(app, email, "password_changed")
    assert_problem(await login(app, email), 401)
    assert (await login(app, email, NEW_PASSWORD)).status_code == 200


# --- operators: disabling and locking (S5) -----------------------------------------------------


async def test_disabling_an_account_ends_its_sessions_and_sign_in(app: RunningApp) -> None:
    email = address("disabled")
    app.create_user(email)
    first, second = await signed_in(app, email), await signed_in(app, email)

    app.call(app.platform.accounts.set_status, email, UserStatus.DISABLED, actor=OPERATOR)

    for agent in (first, second):
        assert_problem(await agent.get("/api/v1/me"), 401)
    disabled = assert_problem(await login(app, email), 401, "bad_credentials")
    assert disabled == assert_problem(await login(app, email, "wrong guess"), 401)

    app.call(app.platform.accounts.set_status, email, UserStatus.ACTIVE, actor=OPERATOR)
    assert (await login(app, email)).status_code == 200


async def test_the_cookie_of_a_disabled_user_stops_working_even_if_its_session_remains(
    app: RunningApp,
) -> None:
    email = address("cookie-disabled")
    user = app.create_user(email)
    agent = await signed_in(app, email)

    async def disable_in_the_database_only() -> None:
        uow = app.platform.uow
        assert isinstance(uow, SqlUnitOfWorkFactory)
        async with uow() as unit:
            stored = await unit.users.get(user.id)
            assert stored is not None
            stored.status = UserStatus.DISABLED
            await unit.users.update(stored)
            await unit.commit()

    app.call(disable_in_the_database_only)

    assert_problem(await agent.get("/api/v1/me"), 401)
    assert_problem(await agent.get("/api/v1/me/sessions"), 401)


async def test_an_operator_lock_ends_the_sessions(app: RunningApp, clock: Clock) -> None:
    email = address("operator-lock")
    app.create_user(email)
    agent = await signed_in(app, email)

    app.call(app.platform.accounts.lock, email, until=clock() + timedelta(hours=1), actor=OPERATOR)

    assert_problem(await agent.get("/api/v1/me"), 401)
    assert_problem(await login(app, email), 401, "bad_credentials")


async def test_sessions_and_activity_show_the_country_of_the_client_address(
    app: RunningApp,
) -> None:
    email = address("country")
    app.create_user(email)
    headers = {"X-Test-Peer": TRUSTED_PROXY, "X-Forwarded-For": "81.2.69.160"}
    response = await login(app, email, headers=headers)
    assert response.status_code == 200
    agent = Agent(app.client, session_token(response))
    sessions = (await agent.get("/api/v1/me/sessions", headers=headers)).json()
    assert [s["country"] for s in sessions] == ["GB"]
    activity = (await agent.get("/api/v1/me/login-activity")).json()
    assert activity[0]["country"] == "GB"


async def test_a_cdn_country_header_counts_only_through_a_trusted_proxy(
    tmp_path: Path, clock: Clock
) -> None:
    auth = Auth(
        sign_in_per_minute=10_000, trusted_proxies=TRUSTED_PROXY, country_header="CF-IPCountry"
    )
    async with running(tmp_path, clock, auth) as other:
        email = address("cdn")
        other.create_user(email)
        via_proxy = {
            "X-Test-Peer": TRUSTED_PROXY,
            "X-Forwarded-For": "8.8.8.8",
            "CF-IPCountry": "fr",
        }
        spoofed = {"X-Test-Peer": "8.8.4.4", "CF-IPCountry": "FR"}
        assert (await login(other, email, headers=via_proxy)).status_code == 200
        response = await login(other, email, headers=spoofed)
        agent = Agent(other.client, session_token(response))
        countries = {s["ip"]: s["country"] for s in (await agent.get("/api/v1/me/sessions")).json()}
    assert countries == {"8.8.8.8": "FR", "8.8.4.4": "US"}
