"""The first visit in a real headless Chromium against `voiceqr serve`, on a phone and on
a desktop: the landing page (screenshots kept), sign-up that signs in at once, making a
code refused until the email is confirmed, the mailed link that confirms it and signs
in, and the two-factor step that asks for the code alone."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
import zxingcpp
from PIL import Image

from tests.conftest import free_port
from tests.integration.browser_support import (
    DEVICES,
    assert_accessible,
    assert_fits_the_screen,
    assert_screenshot_kept,
    browser,  # noqa: F401  (the module's Chromium fixture)
    keep_screenshot,
    main_nav,
    open_mail,
    serving,
)
from tests.integration.processes import clean_environ

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory (the gallery seeded with spoken samples)."""
    data = tmp_path_factory.mktemp("voiceqr-first-visit")
    port = free_port()
    env = clean_environ(
        VOICEQR_DATA_DIR=str(data),
        VOICEQR_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",  # queued mail goes out twice a second
    )
    with serving(env, port, data / "serve.log") as base:
        yield base


@pytest.fixture
def contexts(browser: Any) -> Iterator[Any]:  # noqa: F811
    """Makes browsing contexts of a device (each its own cookies), closed afterwards."""
    made: list[Any] = []

    def make(device: str) -> Any:
        context = browser.new_context(**DEVICES[device])
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    try:
        yield make
    finally:
        for context in made:
            context.close()


def fill_sign_up(page: Any, name: str, email: str) -> None:
    """The sign-up form, filled in and sent."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I accept the terms of service").check()
    page.get_by_role("button", name="Create my account").click()


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_landing_then_sign_up_signs_in_at_once_and_the_mailed_link_confirms_and_signs_in(
    server: str, contexts: Any, device: str
) -> None:
    from playwright.sync_api import expect

    page = contexts(device).new_page()
    email = f"newcomer-{device}@example.test"

    # The landing page: what voiceqr does, a sample that really plays, the way in.
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", name="Printed codes that speak")).to_be_visible()
    code = page.get_by_role("img", name=re.compile("QR code"))
    expect(code).to_be_visible()
    src = page.locator("audio").get_attribute("src")
    assert src
    assert page.request.get(f"{server}{src}").status == 200
    # What a phone camera reads from the code is the address of that same audio.
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(code.screenshot())))
    assert [f.text for f in found] == [f"{server}{src}"]
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); a.preload = 'auto'; a.load();"
        " return true; }"
    )
    page.wait_for_function(
        "() => { const a = document.querySelector('audio');"
        " return a.error === null && a.readyState >= 1 && a.duration > 0; }",
        timeout=15_000,
    )
    assert_accessible(page, state=f"the landing page on a {device}")
    if device == "phone":
        assert_fits_the_screen(page)
    keep_screenshot(page, "landing", device)
    assert_screenshot_kept("landing", device)

    # Sign up: signed in at once, told where the link went.
    page.get_by_role("link", name="Create a free account").click()
    expect(page).to_have_url(f"{server}/signup")
    fill_sign_up(page, "Nina Newcomer", email)
    expect(page).to_have_url(re.compile(r"/check-email"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"We sent a link to {email}")
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
    assert_accessible(page, state="the check-your-email page, signed in")

    # Looking around is fine; making a code waits for the confirmed email.
    page.goto(f"{server}/generations/new")
    expect(page.locator(".banner")).to_contain_text("Confirm your email address")
    page.locator("#text").fill("Welcome to room three.")
    page.get_by_role("button", name="Make audio and QR code").click()
    expect(page.get_by_role("alert")).to_contain_text("Confirm your email address first")
    assert_accessible(page, state="making a code before the email is confirmed")

    # The link, opened on another device (no session there): one button, then signed in.
    link = open_mail(page, server, to=email, subject="Confirm your email address")
    elsewhere = contexts(device).new_page()
    elsewhere.goto(link)
    expect(elsewhere.get_by_role("heading", name="Confirm your email", exact=True)).to_be_visible()
    assert_accessible(elsewhere)
    elsewhere.get_by_role("button", name="Confirm my email").click()
    expect(elsewhere.get_by_role("heading", name="Email confirmed")).to_be_visible()
    expect(elsewhere.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
    assert_accessible(elsewhere, state="the email is confirmed, signed in")
    elsewhere.get_by_role("link", name="Make a spoken QR code").click()
    expect(elsewhere).to_have_url(f"{server}/generations/new")
    expect(elsewhere.locator(".banner")).to_have_count(0)
    expect(elsewhere.get_by_role("link", name="New", include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )

    # The link works once.
    third = contexts(device).new_page()
    third.goto(link)
    with third.expect_response(f"{server}/verify-email") as answer:
        third.get_by_role("button", name="Confirm my email").click()
    assert answer.value.status == 422
    expect(third.get_by_role("alert")).to_contain_text("not valid any more")


def test_the_two_factor_step_asks_for_the_code_alone_with_the_focus_on_it(
    server: str, contexts: Any
) -> None:
    from playwright.sync_api import expect

    page = contexts("desktop").new_page()
    email = "guarded@example.test"
    page.goto(f"{server}/signup")
    fill_sign_up(page, "Gus Guarded", email)
    expect(page).to_have_url(re.compile(r"/check-email"))
    setup = page.request.post(f"{server}/api/v1/me/2fa/setup")
    assert setup.ok, setup.text()
    totp = pyotp.TOTP(setup.json()["secret"])
    assert page.request.post(f"{server}/api/v1/me/2fa/confirm", data={"code": totp.now()}).ok
    main_nav(page).get_by_role("button", name="Sign out").click()

    page.goto(f"{server}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # A step, not an error: the code page, the focus in its field, no password to retype.
    expect(page).to_have_url(f"{server}/signin/code")
    expect(page.get_by_role("heading", name="One more step")).to_be_visible()
    expect(page.get_by_label("Code from your authenticator app")).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator('input[type="password"]')).to_have_count(0)
    assert_accessible(page, state="the two-factor step")
    page.keyboard.type(totp.at(time.time() + 30))  # the next code: the last one is spent
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server}/generations/new")
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
