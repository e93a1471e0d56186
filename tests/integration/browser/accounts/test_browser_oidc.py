"""Sign-in with Google (A5) in a real headless Chromium, against `voiceqr serve` whose
Google provider is a local OpenID provider (`oidc-provider-mock`) the test starts.

The provider's page links a stylesheet on a CDN; the browser context only lets
requests to this machine through, so nothing leaves it.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from oidc_provider_mock import User, run_server_in_thread

from tests.conftest import free_port
from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    main_nav,
    serving,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PASSWORD = "correct horse battery staple"
PEOPLE = [
    User(sub="ada-at-google", claims={"email": "ada@example.test", "email_verified": True}),
    User(sub="bob-at-google", claims={"email": "bob@example.test", "email_verified": True}),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The local OpenID provider, with two people ready to sign in with one click."""
    with run_server_in_thread(user_claims=PEOPLE) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory with Google pointed at the provider, and
    Bob's password account; its base URL."""
    data = tmp_path_factory.mktemp("voiceqr-oidc-browser")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    env |= {
        "VOICEQR_DATA_DIR": str(data),
        "VOICEQR_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "VOICEQR_AUTH_GOOGLE_ISSUER": provider,
        "VOICEQR_AUTH_GOOGLE_CLIENT_ID": "voiceqr-browser-test",
        "VOICEQR_AUTH_GOOGLE_CLIENT_SECRET": "browser-test-secret",
    }
    create_user(env, "bob@example.test", PASSWORD, name="Bob")
    with serving(env, port, data / "serve.log") as base:
        yield base


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:  # noqa: F811
    """A fresh browsing context that reaches this machine only."""
    context = browser.new_context()
    context.set_default_timeout(15_000)

    def local_only(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", local_only)
    try:
        yield context
    finally:
        context.close()


def test_continue_with_google_lands_signed_in(server: str, provider: str, context: Any) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"{server}/signin")
    page.get_by_label("Remember me for 30 days").check()
    page.get_by_role("button", name="Continue with Google").click()

    # The provider's own page: pick who signs in.
    expect(page).to_have_url(re.compile(re.escape(provider) + r"/oauth2/authorize\?"))
    page.get_by_role("button", name="ada-at-google").click()

    expect(page).to_have_url(f"{server}/generations/new")
    expect(page.get_by_role("heading", name="Make a spoken QR code")).to_be_visible()
    [session] = [c for c in context.cookies(server) if c["name"] == "voiceqr_session"]
    assert session["httpOnly"]
    assert session["expires"] > time.time() + 29 * 86400  # "Remember me" was ticked
    assert not [c for c in context.cookies(server) if c["name"] == "voiceqr_oidc"]
    me = page.request.get(f"{server}/api/v1/me").json()
    assert (me["email"], me["email_verified"]) == ("ada@example.test", True)


def test_google_joins_an_existing_account_after_its_password(
    server: str, provider: str, context: Any
) -> None:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"{server}/signin")
    assert_accessible(page, state="with Google")
    page.get_by_role("button", name="Continue with Google").click()
    expect(page).to_have_url(re.compile(re.escape(provider) + r"/oauth2/authorize\?"))
    page.get_by_role("button", name="bob-at-google").click()

    expect(page).to_have_url(f"{server}/signin/link")
    expect(page.get_by_role("heading", name="Link your Google account")).to_be_visible()
    expect(page.get_by_text("bob@example.test")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Password").fill("not Bob's password")
    page.get_by_role("button", name="Link and sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, state="a wrong password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Link and sign in").click()

    expect(page).to_have_url(f"{server}/generations/new")
    assert page.request.get(f"{server}/api/v1/me").json()["email"] == "bob@example.test"

    # Signed out, Google alone now signs Bob in.
    main_nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.get_by_role("button", name="Continue with Google").click()
    page.get_by_role("button", name="bob-at-google").click()
    expect(page).to_have_url(f"{server}/generations/new")
    assert page.request.get(f"{server}/api/v1/me").json()["email"] == "bob@example.test"
