"""Signing in and out: the JSON API, the sign-in form and its redirects, and the CSRF
token every form post must carry."""

from __future__ import annotations

from datetime import datetime
from html import unescape
from typing import Any

import pytest

from tests.integration.http_helpers import (
    BROWSER,
    HIDDEN_NEXT,
    PASSWORD,
    Agent,
    RunningApp,
    assert_problem,
    cookie_attributes,
    is_html,
    session_token,
    set_cookie_header,
    stays_on_site,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_login_sets_an_httponly_lax_session_cookie_and_me_returns_the_user(
    app: RunningApp,
) -> None:
    user = app.create_user("login@example.com")

    response = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "Login@Example.com ", "password": PASSWORD}
    )

    assert response.status_code == 200
    profile = response.json()
    assert datetime.fromisoformat(profile.pop("created_at")) == user.created_at
    assert profile == {
        "id": str(user.id),
        "email": "login@example.com",
        "name": "Login",
        "role": "user",
        "email_verified": True,  # operators' accounts are verified
        "two_factor_enabled": False,
        "pending_email": None,
    }
    attributes = cookie_attributes(set_cookie_header(response))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert "secure" not in attributes  # development serves plain http
    token = session_token(response)
    assert token
    me = await Agent(app.client, token).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["email"] == "login@example.com"


async def test_me_without_a_session_is_a_401_problem(app: RunningApp) -> None:
    assert_problem(await app.anonymous.get("/api/v1/me"), 401)
    assert_problem(await Agent(app.client, "not-a-session").get("/api/v1/me"), 401)


async def test_wrong_password_and_unknown_email_get_the_same_401_problem(
    app: RunningApp, alice: Agent
) -> None:
    wrong_password = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": "not the password"}
    )
    unknown_email = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )

    first = assert_problem(wrong_password, 401, "bad_credentials")
    second = assert_problem(unknown_email, 401, "bad_credentials")
    assert first == second
    assert not wrong_password.headers.get_list("set-cookie")
    assert not unknown_email.headers.get_list("set-cookie")


async def test_logout_ends_the_session_on_the_server(app: RunningApp) -> None:
    agent = await app.new_user("logout@example.com")
    assert (await agent.get("/api/v1/me")).status_code == 200

    response = await agent.post("/api/v1/auth/logout")

    assert response.status_code == 204
    cleared = cookie_attributes(set_cookie_header(response))
    assert cleared["max-age"] == "0"
    # The browser would drop the cookie; someone who kept it gets nowhere.
    assert_problem(await agent.get("/api/v1/me"), 401)
    assert agent.token is not None
    assert app.call(app.platform.accounts.accounts.user_for_session, agent.token) is None


async def test_home_is_the_landing_page_for_visitors_and_the_dashboard_for_users(
    app: RunningApp, alice: Agent
) -> None:
    anonymous = await app.anonymous.get("/", headers=BROWSER)
    assert anonymous.status_code == 200
    assert 'href="/signup"' in anonymous.text

    signed_in = await alice.get("/", headers=BROWSER)
    assert signed_in.status_code == 200
    assert 'href="/generations/new">New</a>' in signed_in.text

    form = await app.anonymous.get("/signin", headers=BROWSER)
    assert form.status_code == 200
    assert '<form method="post" action="/signin">' in form.text


async def test_a_page_that_needs_sign_in_redirects_browsers_and_401s_api_clients(
    app: RunningApp,
) -> None:
    page = await app.anonymous.get("/generations/new", headers=BROWSER)
    assert page.is_redirect
    assert page.headers["location"] == "/signin?next=/generations/new"

    assert_problem(await app.anonymous.get("/generations/new"), 401)


async def test_the_sign_in_form_sets_the_cookie_and_redirects_to_next(
    app: RunningApp, alice: Agent
) -> None:
    response = await app.anonymous.submit(
        "/signin",
        "/signin",
        {"email": "alice@example.com", "password": PASSWORD, "next": "/generations?x=1"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/generations?x=1"
    attributes = cookie_attributes(set_cookie_header(response))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert "secure" not in attributes
    browser = Agent(app.client, session_token(response))
    history = await browser.get("/generations", headers=BROWSER)
    assert history.status_code == 200
    assert "Your generations" in history.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "http:evil.example",
        "//evil.example/steal",
        "/\\evil.example/steal",
        "\\\\evil.example/steal",
        "/\t/evil.example/steal",
        "javascript:alert(1)",
        "",
    ],
    ids=[
        "absolute",
        "scheme-no-slashes",
        "scheme-relative",
        "backslash",
        "double-backslash",
        "tab",
        "js",
        "empty",
    ],
)
async def test_the_sign_in_form_never_redirects_off_site(app: RunningApp, target: str) -> None:
    response = await app.anonymous.submit(
        "/signin", "/signin", {"email": "alice@example.com", "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert stays_on_site(response.headers["location"]), response.headers["location"]

    # The same through a crafted link: the form carries `next` and posts it back.
    visitor = app.anonymous
    form = await visitor.open_form("/signin", params={"next": target})
    (hidden,) = HIDDEN_NEXT.findall(form.text)
    submitted = await visitor.post_form(
        "/signin",
        {"email": "alice@example.com", "password": PASSWORD, "next": unescape(hidden)},
        form=form,
    )
    assert submitted.status_code == 303
    assert stays_on_site(submitted.headers["location"]), submitted.headers["location"]


async def test_the_sign_in_form_with_bad_credentials_re_renders_with_401(
    app: RunningApp, alice: Agent
) -> None:
    response = await app.anonymous.submit(
        "/signin",
        "/signin",
        {"email": "alice@example.com", "password": "wrong password", "next": "/generations"},
    )

    assert response.status_code == 401
    assert is_html(response)
    assert "The email or password is not right." in response.text
    assert 'value="alice@example.com"' in response.text
    assert HIDDEN_NEXT.findall(response.text) == ["/generations"]
    assert not response.headers.get_list("set-cookie")


async def test_form_posts_without_a_matching_csrf_token_are_refused(
    app: RunningApp, carol: Agent, voices: list[dict[str, Any]]
) -> None:
    credentials = {"email": "alice@example.com", "password": PASSWORD, "next": "/generations"}
    visitor = app.anonymous
    form = await visitor.open_form("/signin")
    assert visitor.csrf
    other = app.anonymous
    other_form = await other.open_form("/signin")
    assert other.csrf != visitor.csrf

    no_token = await visitor.post("/signin", data=credentials, headers=BROWSER)
    no_cookie = await app.anonymous.post_form("/signin", credentials, form=form)
    someone_elses_token = await visitor.post_form("/signin", credentials, form=other_form)
    forged = await visitor.post(
        "/signin", data={**credentials, "_csrf_token": "0" * 128}, headers=BROWSER
    )

    for refused in (no_token, no_cookie, someone_elses_token, forged):
        assert refused.status_code == 403, refused.text
        assert not refused.headers.get_list("set-cookie")
    assert (await visitor.post_form("/signin", credentials, form=form)).status_code == 303

    assert carol.user is not None
    create = {"text": "Cross-site request", "voice_id": voices[0]["id"]}
    carols_form = await carol.open_form("/generations/new")
    refused = await carol.post("/generations", data=create, headers=BROWSER)
    assert refused.status_code == 403
    signed_out = await carol.post("/signout", headers=BROWSER)
    assert signed_out.status_code == 403
    assert (await carol.get("/api/v1/me")).status_code == 200  # still signed in
    assert app.count_generations(carol.user.id) == 0
    assert carols_form.status_code == 200
