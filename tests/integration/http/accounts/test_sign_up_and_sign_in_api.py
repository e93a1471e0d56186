"""Signing up and signing in through the JSON API, on the real embedded app: sign-up and
verification, forgotten passwords, lockout, rate limits and the client address behind
trusted proxies."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import httpx
import pytest

from tests.integration.http.accounts.accounts_api import (
    CHECK_YOUR_MAIL,
    FIREFOX,
    NEW_PASSWORD,
    TRUSTED_PROXY,
    Clock,
    address,
    assert_rate_limited,
    link_in,
    login,
    mails,
    only_mail,
    register,
    signed_in,
    token_in,
    until_refused,
    user_named,
)
from tests.integration.http_helpers import (
    PASSWORD,
    SITE,
    RunningApp,
    assert_problem,
    wait_until_finished,
)
from voiceqr.adapters.mail.outbox import list_outbox
from voiceqr.domain.authz import OPERATOR

pytestmark = pytest.mark.asyncio(loop_scope="module")
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
    assert app.call(app.platform.mail.delivery.deliver_due) >= 1
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
    assert [u.email for u in app.call(app.platform.accounts.accounts.list_users, OPERATOR)].count(
        email
    ) == 1
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
    guessed_while_locked = await login(app, email, "another guess")
    unknown = await login(app, address("nobody"))
    right_while_locked = await login(app, email)

    bodies = [
        assert_problem(r, 401, "bad_credentials") for r in (wrong, guessed_while_locked, unknown)
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    # The owner, with the right password, is told why and what to do.
    told = assert_problem(right_while_locked, 401, "account_locked")
    assert "the mail we sent you has a link" in told["detail"]
    for response in (wrong, guessed_while_locked, unknown, right_while_locked):
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
    assert_problem(await login(app, email), 401, "account_locked")
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
    assert_problem(await login(app, email), 401, "account_locked")
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
