"""Comparing voices side by side on a phone, in a real headless Chromium against
`voiceqr serve` on embedded defaults: three voices read one text, three players."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "comparer@example.test"
PASSWORD = "correct horse battery staple"
TEXT = "Welcome aboard. The next stop is the harbour."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_three_voices_read_one_text_side_by_side_on_a_phone(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        page.goto(f"{server}/voices/compare")
        assert_accessible(page, state="the empty form")
        assert_fits_the_screen(page)

        page.get_by_label("Text to hear").fill(TEXT)
        expect(page.locator("#compare-chars")).to_have_text(str(len(TEXT)))
        boxes = page.locator('input[name="voice_id"]')
        boxes.nth(0).check()
        # One voice is not a comparison: the page says so in words and sends nothing.
        page.get_by_role("button", name="Hear them").click()
        expect(page.locator("#compare-pick")).to_have_text("Pick 1 more voice (2 to 4).")
        expect(page).to_have_url(f"{server}/voices/compare")
        assert_accessible(page, state="one voice ticked")

        boxes.nth(1).check()
        boxes.nth(2).check()
        expect(page.locator("#compare-pick")).to_have_text("3 voices picked.")
        page.get_by_role("button", name="Hear them").click()

        expect(page).to_have_url(re.compile(r"/voices/compare/[0-9a-f-]{36}$"))
        cards = page.locator(".reading")
        expect(cards).to_have_count(3)
        # The script follows the readings: each card gets its player once ready.
        expect(page.locator(".reading audio")).to_have_count(3)
        expect(page.locator(".reading .status-completed")).to_have_count(3)
        expect(page.locator("#compare-progress")).to_contain_text("3 of 3 ready")
        for i in range(3):
            duration = (
                page.locator(".reading audio")
                .nth(i)
                .evaluate(
                    "a => new Promise(done => {"
                    " if (a.readyState >= 1) return done(a.duration);"
                    " a.addEventListener('loadedmetadata', () => done(a.duration));"
                    " a.addEventListener('error', () => done(-1)); a.load(); })"
                )
            )
            assert duration > 0.5, f"reading {i} plays {duration} s"

        # On a phone the cards stack: one column, each as wide as the others.
        first, second = (cards.nth(i).bounding_box() for i in range(2))
        assert first is not None
        assert second is not None
        assert first["x"] == second["x"]
        assert second["y"] >= first["y"] + first["height"]
        assert_fits_the_screen(page)
        assert_accessible(page, state="three readings ready")
    finally:
        context.close()
