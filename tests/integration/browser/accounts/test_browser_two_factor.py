"""Two-factor sign-in (A6) in a real headless Chromium against `voiceqr serve`.

A person sets it up from the security page (scanning the QR code is played by reading
it from a screenshot), saves the recovery codes, then signs in with a code from the
app and with a recovery code, and finally turns it off. The codes are what an
authenticator app would show now; the server runs on real time too.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest
import zxingcpp
from PIL import Image

from tests.conftest import free_port
from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    main_nav,
    serving,
)
from tests.integration.processes import clean_environ

pytestmark = pytest.mark.browser

EMAIL = "careful@example.test"
PASSWORD = "correct horse battery staple"
RECOVERY_CODE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory with one account; its base URL."""
    data = tmp_path_factory.mktemp("voiceqr-2fa")
    port = free_port()
    env = clean_environ(
        VOICEQR_DATA_DIR=str(data), VOICEQR_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}"
    )
    create_user(env, EMAIL, PASSWORD, name="Careful")
    with serving(env, port, data / "serve.log") as base:
        yield base


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(page: Any, server: str) -> None:
    """Email and password on the sign-in form (which then may ask for a code)."""
    page.goto(f"{server}/signin")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").tap()


def sign_out(page: Any, server: str) -> None:
    main_nav(page).get_by_role("button", name="Sign out").tap()
    page.wait_for_url(f"{server}/signin")


def asked_for_a_code(page: Any, server: str) -> None:
    """The next step asks for the code alone, the focus in its field: no password to type
    again, and no error."""
    from playwright.sync_api import expect

    expect(page).to_have_url(f"{server}/signin/code")
    expect(page.get_by_label("Code from your authenticator app")).to_be_focused()
    expect(page.locator('input[type="password"]')).to_have_count(0)
    expect(page.get_by_role("alert")).to_have_count(0)


def scanned(page: Any) -> str:
    """What a phone camera reads from the QR code on the page."""
    qr = page.get_by_role("img", name="QR code to add voiceqr to your authenticator app")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle(), timeout=10_000
    )
    image = Image.open(io.BytesIO(qr.screenshot()))
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "the QR code on the page cannot be read"
    return str(found[0].text)


def test_set_up_then_sign_in_with_a_code_and_with_a_recovery_code(server: str, phone: Any) -> None:
    from playwright.sync_api import expect

    page = phone.new_page()
    sign_in(page, server)
    expect(page).to_have_url(f"{server}/generations/new")

    # The security page offers the setup; the fresh sign-in counts as a recent password.
    page.goto(f"{server}/security")
    section = page.locator("#two-factor")
    expect(section.get_by_text("Off")).to_be_visible()
    assert_accessible(page, state="two-factor sign-in off")
    section.get_by_role("button", name="Set up two-factor sign-in").tap()

    # The QR code and the secret as text: both give the same key.
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.parse_uri(scanned(page))
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.secret, totp.issuer, totp.name) == (secret, "voiceqr", EMAIL)

    # A wrong code keeps it off and lets the person try again.
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    page.get_by_label("Code from the app").fill(wrong)
    page.get_by_role("button", name="Turn on two-factor sign-in").tap()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    assert_accessible(page, state="a wrong code")
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").tap()

    # The recovery codes are shown once, with a way to keep them.
    expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(c) for c in codes), codes
    download = page.get_by_role("link", name="Download as a text file")
    assert download.get_attribute("download") == "voiceqr-recovery-codes.txt"
    assert all(c in unquote(download.get_attribute("href") or "") for c in codes)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    assert_fits_the_screen(page)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved my codes").tap()
    expect(section.get_by_text("10 of 10 recovery codes left.")).to_be_visible()
    sign_out(page, server)

    # The password alone is not enough any more: the form asks for the app's code.
    sign_in(page, server)
    asked_for_a_code(page, server)
    assert_accessible(page, state="asking for the app's code")
    # The next step's code: the current step's confirmed the setup and works only once.
    page.get_by_label("Code from your authenticator app").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Sign in").tap()
    expect(page).to_have_url(f"{server}/generations/new")
    sign_out(page, server)

    # A recovery code instead of the app's code, typed loosely: once.
    for attempt in ("works", "spent"):
        sign_in(page, server)
        asked_for_a_code(page, server)
        page.get_by_text("Use a recovery code instead").tap()
        page.get_by_label("Recovery code").fill(codes[0].lower().replace("-", " "))
        page.get_by_role("button", name="Sign in").tap()
        if attempt == "works":
            expect(page).to_have_url(f"{server}/generations/new")
            sign_out(page, server)
        else:
            expect(page).to_have_url(f"{server}/signin/code")
            expect(page.get_by_role("alert")).to_contain_text("That code is not right")

    # Another code on the same step (still no password), then the person turns 2FA off;
    # that takes the password.
    page.get_by_text("Use a recovery code instead").tap()
    page.get_by_label("Recovery code").fill(codes[1])
    page.get_by_role("button", name="Sign in").tap()
    expect(page).to_have_url(f"{server}/generations/new")
    page.goto(f"{server}/security")
    expect(section.get_by_text("8 of 10 recovery codes left.")).to_be_visible()
    section.get_by_role("link", name="Turn off two-factor sign-in").tap()
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("button", name="Turn off two-factor sign-in").tap()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right")
    assert_accessible(page, state="a wrong password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Turn off two-factor sign-in").tap()
    expect(page).to_have_url(re.compile(r"/security"))
    expect(section.get_by_text("Off")).to_be_visible()
    sign_out(page, server)

    sign_in(page, server)
    expect(page).to_have_url(f"{server}/generations/new")
