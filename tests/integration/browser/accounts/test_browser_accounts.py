"""The account pages in a real headless Chromium against `voiceqr serve` (A1-A4, A7-A9).

One platform process on embedded defaults serves the module. Mail lands in the data
directory's outbox and the tests read it the way a newcomer would: on the development
mailbox page, clicking the links in the messages.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    keep_screenshot,
    main_nav,
    open_mail,
    serving,
)
from tests.integration.processes import clean_environ
from voiceqr.domain.authz import OPERATOR

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
RESET_USER = "forgetful@example.test"
REMEMBER_USER = "remember@example.test"
SESSIONS_USER = "travels@example.test"


async def _create_users(env: dict[str, str]) -> None:
    """Verified accounts made directly on the data directory, before the server starts."""
    from voiceqr.bootstrap import build
    from voiceqr.domain.accounts.users import Role
    from voiceqr.settings import load

    platform = build(load(env))
    try:
        await platform.upgrade_database()
        for email in (RESET_USER, REMEMBER_USER, SESSIONS_USER):
            await platform.accounts.accounts.create_user(
                email=email,
                name=email.split("@")[0].title(),
                password=PASSWORD,
                role=Role.USER,
                actor=OPERATOR,
            )
    finally:
        await platform.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory with three accounts; its base URL."""
    data = tmp_path_factory.mktemp("voiceqr-accounts")
    port = free_port()
    env = clean_environ(
        VOICEQR_DATA_DIR=str(data),
        VOICEQR_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        # The sweeper delivers queued mail twice a second.
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
    )
    asyncio.run(_create_users({k: v for k, v in env.items() if k.startswith("VOICEQR_")}))
    with serving(env, port, data / "serve.log") as base:
        yield base


@pytest.fixture
def new_context(browser: Any) -> Iterator[Any]:  # noqa: F811
    """Makes phone-sized browsing contexts (no cookies) and closes them afterwards."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(**MOBILE)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


def sign_in(page: Any, server: str, email: str, password: str, *, remember: bool = False) -> None:
    page.goto(f"{server}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    if remember:
        page.get_by_label("Remember me for 30 days").check()
    page.get_by_role("button", name="Sign in").click()


def test_sign_up_signs_in_and_the_mailed_link_confirms_and_signs_in_again(
    server: str, new_context: Any
) -> None:
    from playwright.sync_api import expect

    page = new_context().new_page()
    email = "newcomer@example.test"

    # The sign-in page leads to sign-up; the password rules are shown.
    page.goto(f"{server}/signin")
    assert_accessible(page)
    page.get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(f"{server}/signup")
    expect(page.get_by_text("At least 8 characters")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your name").fill("Nina Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("password")  # long enough, but far too common
    page.get_by_label("I accept the terms of service").check()
    assert_fits_the_screen(page)
    keep_screenshot(page, "signup", "phone")
    with page.expect_response(f"{server}/signup") as answer:
        page.get_by_role("button", name="Create my account").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("most common")
    expect(page.get_by_label("Email")).to_have_value(email)  # the form keeps what was typed
    assert_accessible(page, state="a refused password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/check-email"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    # Signed in at once but unverified: the create page asks to confirm the email first.
    page.goto(f"{server}/generations/new")
    banner = page.locator(".banner")
    expect(banner).to_contain_text("Confirm your email address")
    expect(banner.get_by_role("button", name="Resend the link")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page, state="the banner asking to confirm the email")
    main_nav(page).get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/signin"))

    # A mail scanner fetching the link does not spend the token.
    link = open_mail(page, server, to=email, subject="Confirm your email address")
    assert "/verify-email?token=" in link
    assert httpx.get(link, timeout=10).status_code == 200
    expect(page.get_by_role("heading", name="Confirm your email", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm my email").click()

    # Confirmed, and signed in by the link (this browser had signed out).
    expect(page.get_by_role("status")).to_contain_text("is confirmed")
    assert_accessible(page, state="the email is confirmed")
    page.get_by_role("link", name="Make a spoken QR code").click()
    expect(page).to_have_url(f"{server}/generations/new")
    expect(page.get_by_role("heading", name="Make a spoken QR code")).to_be_visible()
    expect(page.locator(".banner")).to_have_count(0)
    assert_accessible(page)

    # The link works once.
    page.goto(link)
    with page.expect_response(f"{server}/verify-email") as answer:
        page.get_by_role("button", name="Confirm my email").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("not valid any more")
    assert_accessible(page, state="a spent link")

    # The welcome mail followed the confirmation.
    open_mail(page, server, to=email, subject="Welcome to voiceqr")
    expect(page).to_have_url(f"{server}/generations/new")


def test_forgot_password_sets_a_new_one_from_the_mailed_link(server: str, new_context: Any) -> None:
    from playwright.sync_api import expect

    page = new_context().new_page()
    new_password = "a brand new passphrase"

    page.goto(f"{server}/signin")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page).to_have_url(f"{server}/forgot-password")
    assert_accessible(page)
    page.get_by_label("Email").fill(RESET_USER)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    link = open_mail(page, server, to=RESET_USER, subject="Reset your voiceqr password")
    assert "/reset-password?token=" in link
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password").fill(new_password)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    expect(page.get_by_label("Email")).to_have_value(RESET_USER)

    # The old password is refused, the new one lets the owner in.
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(f"{server}/signin") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("The email or password is not right.")
    assert_accessible(page, state="a refused password")
    page.get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server}/generations/new")

    # The owner was told by mail that the password changed.
    open_mail(page, server, to=RESET_USER, subject="Your voiceqr password was changed")


def _session_cookie(context: Any) -> dict[str, Any]:
    (cookie,) = [c for c in context.cookies() if c["name"] == "voiceqr_session"]
    return dict(cookie)


def test_remember_me_keeps_the_cookie_for_30_days(server: str, new_context: Any) -> None:
    from playwright.sync_api import expect

    remembered, forgotten = new_context(), new_context()
    page = remembered.new_page()
    sign_in(page, server, REMEMBER_USER, PASSWORD, remember=True)
    expect(page).to_have_url(f"{server}/generations/new")
    cookie = _session_cookie(remembered)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    days = (cookie["expires"] - time.time()) / 86400
    assert 29.9 < days <= 30, cookie

    page = forgotten.new_page()
    sign_in(page, server, REMEMBER_USER, PASSWORD)
    expect(page).to_have_url(f"{server}/generations/new")
    assert _session_cookie(forgotten)["expires"] == -1  # ends with the browser


def test_security_page_lists_sessions_and_signs_out_the_others(
    server: str, new_context: Any
) -> None:
    from playwright.sync_api import expect

    here, there = new_context(), new_context()
    other = there.new_page()
    sign_in(other, server, SESSIONS_USER, PASSWORD)
    expect(other).to_have_url(f"{server}/generations/new")
    page = here.new_page()
    sign_in(page, server, SESSIONS_USER, PASSWORD, remember=True)
    expect(page).to_have_url(f"{server}/generations/new")

    main_nav(page).get_by_role("link", name="Security").click()
    expect(page).to_have_url(f"{server}/security")
    sessions = page.locator("ul.sessions > li")
    expect(sessions).to_have_count(2)
    this_device = sessions.filter(has=page.get_by_text("This device"))
    expect(this_device).to_have_count(1)
    expect(this_device).to_contain_text("Chrome on mobile")
    expect(this_device).to_contain_text("127.0.0.1")
    expect(this_device.get_by_role("button", name="Sign out")).to_have_count(0)
    activity = page.locator("ul.activity > li")
    expect(activity.first).to_contain_text("Signed in")
    expect(activity.first).to_contain_text("Password")
    assert_fits_the_screen(page)
    assert_accessible(page)
    keep_screenshot(page, "security", "phone")

    # "Sign out all other sessions" asks first, then ends the other browser's session.
    page.get_by_role("link", name="Sign out all other sessions").click()
    expect(page.get_by_role("heading", name="Sign out other sessions?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out 1 other session").click()
    expect(page).to_have_url(re.compile(r"/security\?"))
    expect(page.get_by_role("status")).to_have_text("Signed out 1 other session.")
    expect(sessions).to_have_count(1)
    assert_accessible(page, state="the other sessions are signed out")

    other.goto(f"{server}/generations/new")
    expect(other).to_have_url(re.compile(r"/signin\?next="))
    page.goto(f"{server}/generations/new")
    expect(page).to_have_url(f"{server}/generations/new")
