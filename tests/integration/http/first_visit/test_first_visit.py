"""The first visit: the landing page and the dashboard at `/`, sign-up that signs in at
once, the verification link that confirms and signs in, the two-factor step that asks
for the code alone, and the navigation (favicon, "you are here", times in the reader's
time zone)."""

from __future__ import annotations

import base64
import re
import time
from html import unescape
from typing import Any

import pyotp
import pytest

from tests.integration.http.accounts.accounts_api import address, only_mail, token_in
from tests.integration.http_helpers import (
    BROWSER,
    CSRF_FIELD,
    PASSWORD,
    SITE,
    Agent,
    RunningApp,
    Visitor,
    csrf_token,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUDIO_SRC = re.compile(r'<audio[^>]* src="([^"]+)"')
QR_IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,([^"]+)"[^>]* alt="([^"]+)"')
CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')


async def post_form(visitor: Visitor, page: str, action: str, data: dict[str, str]) -> Any:
    """Open `page` as a browser, then post `data` to `action` with the page's CSRF token."""
    form = await visitor.get(page, headers=BROWSER)
    assert form.status_code == 200, (page, form.status_code)
    return await visitor.post(
        action, data={**data, CSRF_FIELD: csrf_token(form.text)}, headers=BROWSER
    )


async def sign_up(app: RunningApp, email: str) -> tuple[Visitor, Any]:
    visitor = Visitor(app.client)
    answer = await post_form(
        visitor,
        "/signup",
        "/signup",
        {"name": "Nina Newcomer", "email": email, "password": PASSWORD, "terms": "on"},
    )
    return visitor, answer


# --- the landing page and the dashboard --------------------------------------------


async def test_a_visitor_at_the_root_sees_what_voiceqr_does_a_sample_that_plays_and_the_sign_up(
    app: RunningApp,
) -> None:
    landing = await app.anonymous.get("/", headers=BROWSER)

    assert landing.status_code == 200
    assert "Printed codes that speak" in landing.text
    assert 'href="/signup"' in landing.text
    # The example is real: the gallery's first voice's sample, served by the app...
    (src,) = AUDIO_SRC.findall(landing.text)
    audio = await app.anonymous.get(src)
    assert audio.status_code == 200
    assert audio.headers["content-type"].startswith("audio/")
    assert len(audio.content) > 1000
    # ...and a QR code beside it for a phone to scan.
    (encoded, alt) = QR_IMAGE.findall(landing.text)[0]
    assert base64.b64decode(encoded).lstrip().startswith((b"<?xml", b"<svg"))
    assert "QR code" in alt


async def test_the_qr_code_on_the_landing_page_opens_the_sample_it_plays(
    app: RunningApp,
) -> None:
    landing = await app.anonymous.get("/", headers=BROWSER)
    (src,) = AUDIO_SRC.findall(landing.text)
    (encoded, _) = QR_IMAGE.findall(landing.text)[0]
    svg = base64.b64decode(encoded).decode()
    # The code is drawn for the absolute address of that audio (segno writes no text, so
    # the drawing is compared with the same address drawn again).
    redrawn = app.platform.generations.qr_svg(f"{SITE}{unescape(src)}", size=200).decode()
    assert svg == redrawn


async def test_the_logo_leads_to_the_landing_page_and_the_favicon_is_served(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    for path in ("/signin", f"/p/{spoken['public_code']}"):
        shown = await app.anonymous.get(path, headers=BROWSER)
        assert shown.status_code == 200, path
        assert '<a class="brand" href="/">voiceqr</a>' in shown.text, path
        assert 'rel="icon" href="/static/favicon.svg"' in shown.text, path
    icon = await app.anonymous.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")


async def test_a_signed_in_user_at_the_root_sees_their_newest_generations_and_a_new_button(
    app: RunningApp, alice: Agent, spoken: dict[str, Any]
) -> None:
    dashboard = await alice.get("/", headers=BROWSER)

    assert dashboard.status_code == 200
    assert "Your spoken QR codes" in dashboard.text
    assert '<a class="button" href="/generations/new">New</a>' in dashboard.text
    assert f'href="/generations/{spoken["id"]}"' in dashboard.text
    assert "Printed codes that speak" not in dashboard.text


async def test_a_new_user_dashboard_invites_the_first_code(app: RunningApp) -> None:
    newcomer = await app.new_user(address("empty-dashboard"))
    dashboard = await newcomer.get("/", headers=BROWSER)
    assert dashboard.status_code == 200
    assert "Make your first spoken QR code." in dashboard.text


# --- sign-up and verification -------------------------------------------------------


async def test_signing_up_signs_in_at_once_and_the_check_email_page_names_the_address(
    app: RunningApp,
) -> None:
    email = address("newcomer")
    visitor, answer = await sign_up(app, email)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/check-email?for=signup"
    me = await visitor.me()
    assert me is not None
    assert me["email"] == email
    assert me["email_verified"] is False
    check = await visitor.get("/check-email?for=signup", headers=BROWSER)
    assert check.status_code == 200
    assert f"We sent a link to <strong>{email}</strong>" in check.text
    assert "Sign out" in check.text  # the signed-in navigation


async def test_an_unverified_account_may_look_around_but_generating_is_refused_clearly(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    email = address("looking-around")
    visitor, _ = await sign_up(app, email)

    for path in ("/", "/generations", "/voices", "/profile", "/generations/new"):
        looked = await visitor.get(path, headers=BROWSER)
        assert looked.status_code == 200, (path, looked.status_code)
        assert "Confirm your email address to start making spoken QR codes" in looked.text
    refused = await visitor.post(
        "/api/v1/generations", json={"text": "Hello there.", "voice_id": voices[0]["id"]}
    )
    assert refused.status_code == 403, refused.text
    assert "confirm" in refused.json()["detail"].lower()


async def test_the_verification_link_confirms_in_one_step_and_leaves_the_person_signed_in(
    app: RunningApp,
) -> None:
    email = address("confirming")
    _, _ = await sign_up(app, email)
    token = token_in(only_mail(app, email, "verify_email"), "/verify-email")

    # The link opens in another browser (a phone's mail app): one button, then signed in.
    phone = Visitor(app.client)
    confirmed = await post_form(
        phone, f"/verify-email?token={token}", "/verify-email", {"token": token}
    )

    assert confirmed.status_code == 200
    assert "Email confirmed" in confirmed.text
    assert "Sign out" in confirmed.text
    me = await phone.me()
    assert me is not None
    assert me["email"] == email
    assert me["email_verified"] is True
    # The link works once: a second use signs nobody in.
    other = Visitor(app.client)
    again = await post_form(
        other, f"/verify-email?token={token}", "/verify-email", {"token": token}
    )
    assert again.status_code == 422
    assert await other.me() is None


async def test_the_link_of_an_email_change_confirms_it_but_signs_nobody_in(
    app: RunningApp,
) -> None:
    agent = await app.new_user(address("moving"))
    new = address("moved")
    assert (
        await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD})
    ).status_code == 204
    assert (await agent.patch("/api/v1/me", json={"email": new})).status_code == 200
    token = token_in(only_mail(app, new, "change_email"), "/verify-email")

    browser = Visitor(app.client)
    confirmed = await post_form(
        browser, f"/verify-email?token={token}", "/verify-email", {"token": token}
    )

    assert confirmed.status_code == 200
    assert f"Your email {new} is confirmed. Sign in to start." in confirmed.text
    assert await browser.me() is None


async def test_a_sign_up_with_a_taken_address_signs_nobody_in(app: RunningApp) -> None:
    email = address("taken")
    await sign_up(app, email)

    stranger, answer = await sign_up(app, email)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/check-email?for=signup"
    assert await stranger.me() is None
    assert only_mail(app, email, "signup_attempt").to == email


# --- the two-factor step --------------------------------------------------------------


async def test_the_two_factor_step_asks_for_the_code_alone_never_the_password_again(
    app: RunningApp,
) -> None:
    email = address("two-factor")
    agent = await app.new_user(email)
    setup = (await agent.post("/api/v1/me/2fa/setup")).json()
    totp = pyotp.TOTP(setup["secret"])
    confirmed = await agent.post("/api/v1/me/2fa/confirm", json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text

    browser = Visitor(app.client)
    first = await post_form(
        browser, "/signin", "/signin", {"email": email, "password": PASSWORD, "next": "/profile"}
    )
    # The right password is a step forward, not an error: on to the code page.
    assert first.status_code == 303
    assert first.headers["location"] == "/signin/code"
    step = await browser.get("/signin/code", headers=BROWSER)
    assert step.status_code == 200
    assert 'type="password"' not in step.text
    assert 'role="alert"' not in step.text
    assert re.search(r'<input name="otp_code"[^>]* autofocus', step.text)
    assert await browser.me() is None

    wrong = await browser.post(
        "/signin/code",
        data={"otp_code": "000000", CSRF_FIELD: csrf_token(step.text)},
        headers=BROWSER,
    )
    assert wrong.status_code == 401
    assert 'type="password"' not in wrong.text  # still only the code
    right = await browser.post(
        "/signin/code",
        data={"otp_code": totp.at(time.time() + 30), CSRF_FIELD: csrf_token(wrong.text)},
        headers=BROWSER,
    )
    assert right.status_code == 303, right.text
    assert right.headers["location"] == "/profile"
    me = await browser.me()
    assert me is not None
    assert me["email"] == email


# --- navigation and times -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/generations/new", "/generations/new"),
        ("/generations", "/generations"),
        ("/voices", "/voices"),
        ("/profile", "/profile"),
        ("/notices", "/notices"),
    ],
)
async def test_the_navigation_marks_the_page_you_are_on(
    app: RunningApp, alice: Agent, path: str, current: str
) -> None:
    shown = await alice.get(path, headers=BROWSER)
    assert shown.status_code == 200
    assert CURRENT.findall(shown.text) == [current]


async def test_a_generation_page_marks_history_as_where_you_are(
    app: RunningApp, alice: Agent, spoken: dict[str, Any]
) -> None:
    shown = await alice.get(f"/generations/{spoken['id']}", headers=BROWSER)
    assert CURRENT.findall(shown.text) == ["/generations"]


def reading_in(agent: Agent, zone: str) -> Visitor:
    """The agent's session in a browser whose time zone is `zone` (as browser_zone.js
    tells the app)."""
    assert agent.token is not None
    return Visitor(agent.client, cookies={"voiceqr_session": agent.token, "voiceqr_tz": zone})


async def test_times_are_shown_in_the_profile_zone_else_the_browser_zone_else_utc(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    agent = await app.sign_in("alice@example.com")
    made = f"{spoken['created_at'][:16].replace('T', ' ')} UTC"  # as UTC would show it

    assert made in (await agent.get("/generations", headers=BROWSER)).text

    in_kolkata = await reading_in(agent, "Asia/Kolkata").get("/generations", headers=BROWSER)
    assert " Asia/Kolkata" in in_kolkata.text
    assert made not in in_kolkata.text  # +05:30: never the UTC minutes

    # Without a zone in the profile, the page asks the browser for its own.
    assert '<script src="/static/browser_zone.js"' in in_kolkata.text

    chosen = await agent.patch("/api/v1/me/preferences", json={"time_zone": "America/New_York"})
    assert chosen.status_code == 200, chosen.text
    try:
        profile_first = await reading_in(agent, "Asia/Kolkata").get("/generations", headers=BROWSER)
        assert " America/New_York" in profile_first.text
        assert " Asia/Kolkata" not in profile_first.text
        assert "browser_zone.js" not in profile_first.text  # nothing to ask
    finally:
        await agent.patch("/api/v1/me/preferences", json={"time_zone": None})


async def test_a_time_zone_cookie_that_names_no_zone_is_ignored(
    app: RunningApp, alice: Agent, spoken: dict[str, Any]
) -> None:
    shown = await reading_in(alice, "Mars%2FOlympus").get("/generations", headers=BROWSER)
    assert shown.status_code == 200
    assert "Mars" not in shown.text
    assert f"{spoken['created_at'][:16].replace('T', ' ')} UTC" in shown.text
