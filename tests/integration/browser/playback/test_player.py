"""The public playback page's player on a phone, in a real headless Chromium: played,
paused, moved and sped up from the keyboard alone, with the sentence being heard
highlighted as it plays; and the browser's own player when no script runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
)

pytestmark = pytest.mark.browser

EMAIL = "owner@example.test"
PASSWORD = "correct horse battery staple"
# Four sentences of espeak: some ten seconds of audio, each sentence a few of them.
TEXT = (
    "Welcome to the east wing of the museum. "
    "The painting in front of you was finished in the spring of eighteen eighty nine. "
    "Look closely at the swirling sky above the sleeping village. "
    "Thank you for listening, and enjoy the rest of your visit."
)
READY_S = 30


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The server's base URL and the public code of a completed generation of TEXT."""
    with embedded_server_with_user(
        tmp_path_factory.mktemp("voiceqr-data"), EMAIL, PASSWORD
    ) as base:
        with httpx.Client(base_url=base, timeout=10) as owner:
            signed_in = owner.post(
                "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            voice = owner.get("/api/v1/voices").json()[0]["id"]
            made = owner.post("/api/v1/generations", json={"text": TEXT, "voice_id": voice})
            assert made.status_code == 202, made.text
            deadline = time.monotonic() + READY_S
            while (body := owner.get(f"/api/v1/generations/{made.json()['id']}").json())[
                "status"
            ] != "completed":
                assert body["status"] != "failed", body
                assert time.monotonic() < deadline, body
                time.sleep(0.25)
        yield base, body["public_code"]


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def _position(page: Any) -> float:
    return float(page.evaluate("() => document.getElementById('player').currentTime"))


def _highlighted(page: Any) -> int:
    """The index of the highlighted sentence, -1 for none."""
    return int(
        page.evaluate(
            "() => Array.from(document.querySelectorAll('.transcript [data-at]'))"
            ".findIndex(s => s.classList.contains('now'))"
        )
    )


def test_a_listener_plays_pauses_seeks_and_speeds_up_from_the_keyboard_reading_along(
    code: tuple[str, str], phone: Any
) -> None:
    from playwright.sync_api import expect

    base, public_code = code
    page = phone.new_page()
    page.goto(f"{base}/p/{public_code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Welcome to the east wing of the museum."
    )
    play = page.get_by_role("button", name="Play")
    expect(play).to_be_visible()
    # The script's controls replace the browser's, and wait for the audio's length.
    expect(page.locator("#player")).not_to_have_attribute("controls", "")
    position = page.get_by_role("slider", name="Position")
    expect(position).to_be_enabled()
    assert _highlighted(page) == -1  # nothing is being heard yet
    box = play.bounding_box()
    assert box is not None
    assert box["width"] >= 44  # a thumb's size
    assert box["height"] >= 44
    assert_fits_the_screen(page)
    assert_accessible(page, state="before playing")

    # Every highlighted sentence in order, from now on.
    page.evaluate(
        "() => { window.heard = []; const spans = [...document.querySelectorAll('.transcript"
        " [data-at]')]; new MutationObserver(() => { const i = spans.findIndex(s =>"
        " s.classList.contains('now')); if (i >= 0 && window.heard.at(-1) !== i)"
        " window.heard.push(i); }).observe(document.querySelector('.transcript'),"
        " { subtree: true, attributes: true, attributeFilter: ['class'] }); }"
    )
    page.evaluate("() => { document.getElementById('player').muted = true; }")  # a quiet CI box

    # Faster, from the keyboard: the speed picker is reached and changed without a pointer.
    speed = page.get_by_role("combobox", name="Speed")
    speed.focus()
    speed.select_option("1.5")
    assert page.evaluate("() => document.getElementById('player').playbackRate") == 1.5

    play.focus()
    page.keyboard.press("Enter")
    pause = page.get_by_role("button", name="Pause")
    expect(pause).to_be_focused()
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.3")
    assert _highlighted(page) == 0  # the first sentence, as it is heard
    assert_accessible(page, state="playing, first sentence highlighted")

    # The highlight moves on with the audio to the last sentence.
    page.wait_for_function("() => window.heard.includes(3)", timeout=20_000)
    heard = page.evaluate("() => window.heard")
    assert heard == sorted(heard), heard
    assert heard[0] == 0, heard
    assert set(heard) == {0, 1, 2, 3}, heard

    page.keyboard.press(" ")  # the focused button pauses too
    expect(page.get_by_role("button", name="Play")).to_be_focused()
    assert page.evaluate("() => document.getElementById('player').paused")

    # Back to the start with the keyboard, then five seconds on per arrow.
    position.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.getElementById('player').currentTime === 0")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.getElementById('player').currentTime >= 4.9")
    assert 4.9 <= _position(page) <= 5.1
    expect(position).to_have_attribute("aria-valuetext", "0:05 of " + _length(page))
    # Paused part way, the sentence at that point stays highlighted for reading.
    assert _highlighted(page) >= 1
    assert_accessible(page, state="paused after a seek")


def _length(page: Any) -> str:
    seconds = int(page.evaluate("() => Math.floor(document.getElementById('player').duration)"))
    return f"{seconds // 60}:{seconds % 60:02d}"


def test_without_script_the_browsers_own_player_and_the_transcript_show(
    code: tuple[str, str],
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    base, public_code = code
    context = browser.new_context(java_script_enabled=False, **MOBILE)
    try:
        page = context.new_page()
        page.goto(f"{base}/p/{public_code}")
        expect(page.locator("audio#player[controls]")).to_be_visible()
        expect(page.get_by_role("button", name="Play")).to_have_count(0)
        expect(page.locator(".transcript")).to_have_text(TEXT.strip())
        assert_fits_the_screen(page)
        # (axe needs scripts: the same page is checked with them in the test above)
    finally:
        context.close()
