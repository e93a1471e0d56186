"""Sessions and login activity through the JSON API, on the real embedded app: new sessions
and their cookie, how long they last, ending them, and the country they show."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.integration.http.accounts.accounts_api import (
    FIREFOX,
    IPHONE,
    TRUSTED_PROXY,
    Clock,
    address,
    login,
    running,
    signed_in,
)
from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    cookie_attributes,
    session_token,
    set_cookie_header,
)
from voiceqr.settings import Auth

pytestmark = pytest.mark.asyncio(loop_scope="module")
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
    assert app.call(app.platform.accounts.accounts.user_for_session, agent.token) is None


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
