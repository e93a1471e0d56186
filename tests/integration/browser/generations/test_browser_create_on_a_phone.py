"""Creating on a phone with a long paste, and History on a phone, in a real headless
Chromium against `voiceqr serve` on embedded defaults."""

from __future__ import annotations

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
from tests.integration.http_helpers import ESPEAK_MAX_CHARS

pytestmark = pytest.mark.browser

EMAIL = "phone-maker@example.test"
PASSWORD = "correct horse battery staple"
SENTENCE = "The east wing keeps the Dutch masters of the golden age. "


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_server_with_user(
        tmp_path_factory.mktemp("voiceqr-data"), EMAIL, PASSWORD
    ) as base:
        yield base


def test_a_long_paste_on_a_phone_is_kept_whole_and_the_form_says_how_much_to_remove(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        assert_fits_the_screen(page)
        assert_accessible(page)
        text = page.locator("#text")
        submit = page.get_by_role("button", name="Make audio and QR code")

        # Near the limit the counter warns; the text is all there.
        near = (SENTENCE * (ESPEAK_MAX_CHARS // len(SENTENCE) + 1))[: ESPEAK_MAX_CHARS - 50]
        text.fill(near)
        expect(page.locator("#count-advice")).to_have_text(
            f"{ESPEAK_MAX_CHARS - len(near.strip())} left before the limit."
        )

        # A paste past the limit is kept whole, and the counter says how much to remove.
        pasted = SENTENCE * (ESPEAK_MAX_CHARS // len(SENTENCE) + 3)
        over = len(pasted.strip()) - ESPEAK_MAX_CHARS
        text.fill("")
        text.focus()
        page.keyboard.insert_text(pasted)
        assert text.input_value() == pasted
        expect(page.locator("#count-advice")).to_have_text(
            f"Too long for this voice: remove {over} characters."
        )
        # The submit button stays in reach without scrolling down the long text.
        page.evaluate("() => window.scrollTo(0, 0)")
        expect(submit).to_be_in_viewport()
        assert_fits_the_screen(page)
        assert_accessible(page, state="a text over the limit")

        submit.click()
        expect(page.locator("#form-error")).to_contain_text(f"remove {over} to make it fit")
        assert page.locator("#text").input_value() == pasted  # kept whole, as sent
        expect(page.locator("#text")).to_have_attribute("aria-invalid", "true")
        assert_fits_the_screen(page)
        assert_accessible(page, state="refused: too long")

        page.locator("#title").fill("East wing")
        page.locator("#text").fill(SENTENCE)
        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("East wing")
        expect(page).to_have_title("East wing · voiceqr")
        expect(page.locator("#made")).to_contain_text("Made ")
        expect(page.locator("audio#audio")).to_be_attached()
        assert_fits_the_screen(page)
        assert_accessible(page, state="made, titled")
    finally:
        context.close()


def test_history_on_a_phone_shows_the_list_first_with_filters_folded_into_a_bar(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        voice_id = page.request.get(f"{server}/api/v1/voices").json()[0]["id"]
        response = page.request.post(
            f"{server}/api/v1/generations",
            data={"text": "Gift shop opening hours", "voice_id": voice_id, "title": "Gift shop"},
        )
        assert response.status == 202, response.text()

        page.goto(f"{server}/generations")
        first = page.locator("li.history-item").first
        expect(first).to_be_in_viewport()
        expect(page.locator(".history-title").first).to_have_text("Gift shop")
        search = page.locator("form.filters input[name=q]")
        expect(search).to_be_hidden()  # folded away: the list comes first
        expect(page.get_by_role("button", name="Delete selected")).to_be_hidden()
        assert_fits_the_screen(page)
        assert_accessible(page, state="the list, filters folded")

        page.get_by_text("Search and filter").click()
        expect(search).to_be_visible()
        expect(page.get_by_label("Made from")).to_be_visible()
        assert_fits_the_screen(page)
        assert_accessible(page, state="the filter bar open")

        # Ticking a generation opens the batch bar with its actions.
        page.get_by_role("checkbox", name="Select “Gift shop”").check()
        expect(page.get_by_role("button", name="Delete selected")).to_be_visible()
        assert_fits_the_screen(page)
        assert_accessible(page, state="the batch bar open")
    finally:
        context.close()
