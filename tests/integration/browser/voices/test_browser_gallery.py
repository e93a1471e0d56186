"""The voice gallery on a phone, in a real headless Chromium against `voiceqr serve` on
embedded defaults: search and filter, play a sample, star a voice, tick three voices to
compare, and pick a voice for the create page without losing the text."""

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

EMAIL = "chooser@example.test"
PASSWORD = "correct horse battery staple"
TEXT = "Once upon a time a small dragon learned to read."

# The first audio element of a locator can play: enough of it is loaded (or it plays).
READY = (
    "a => new Promise(done => {"
    " if (a.readyState >= 2) return done(a.readyState);"
    " a.addEventListener('loadeddata', () => done(a.readyState));"
    " a.addEventListener('error', () => done(-1)); a.load(); })"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


@pytest.fixture
def page(server: str, browser: Any) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(30_000)
    try:
        phone = context.new_page()
        sign_in(phone, server, EMAIL, PASSWORD)
        yield phone
    finally:
        context.close()


def test_searching_filtering_and_playing_a_sample_on_a_phone(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/voices")
    cards = page.locator(".voice-card")
    everyone = cards.count()
    assert everyone >= 8
    expect(page.locator("#filters")).not_to_have_attribute("open", "")  # folded on a phone
    assert_fits_the_screen(page)
    assert_accessible(page, state="the whole gallery")

    page.get_by_label("Search names and descriptions").fill("British")
    page.get_by_role("button", name="Show voices").click()
    expect(page).to_have_url(re.compile(r"q=British"))
    british = cards.count()
    assert 0 < british < everyone

    page.locator("#filters summary").click()
    page.get_by_label("Gender").select_option("female")
    page.get_by_role("button", name="Show voices").click()
    expect(page.locator("#filters summary")).to_have_text("Filters (1 active)")
    expect(page.get_by_label("Search names and descriptions")).to_have_value("British")
    assert 0 < cards.count() < british
    for i in range(cards.count()):
        expect(cards.nth(i).locator(".voice-meta").first).to_contain_text("female")
    # On a phone the cards stack in one column.
    if cards.count() > 1:
        first, second = (cards.nth(i).bounding_box() for i in range(2))
        assert first is not None
        assert second is not None
        assert first["x"] == second["x"]
    assert_fits_the_screen(page)
    assert_accessible(page, state="searched and filtered")

    sample = cards.first.locator("audio").first
    assert sample.evaluate(READY) >= 2
    assert_accessible(page, state="a sample loaded")

    page.get_by_label("Search names and descriptions").fill("no voice is called this")
    page.get_by_role("button", name="Show voices").click()
    expect(page.locator(".empty")).to_contain_text("No voice matches")
    assert_accessible(page, state="nothing matches")


def test_a_star_toggles_in_place_and_stays_after_a_reload(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/voices?sort=name")
    star = page.locator(".voice-card").nth(2).locator("button.star")
    name = star.get_attribute("aria-label").removeprefix("Favorite ")
    expect(star).to_have_attribute("aria-pressed", "false")

    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#gallery-live")).to_have_text(f"{name} added to your favorites")
    expect(page).to_have_url(f"{server}/voices?sort=name")  # toggled in place
    assert_accessible(page, state="a voice starred")

    page.reload()
    starred = page.get_by_role("button", name=f"Favorite {name}")
    expect(starred).to_have_attribute("aria-pressed", "true")
    page.goto(f"{server}/voices")  # recommended: favorites first
    expect(page.locator(".voice-card").first.locator(".voice-name")).to_have_text(name)

    page.get_by_role("button", name=f"Favorite {name}").click()
    expect(page.get_by_role("button", name=f"Favorite {name}")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(page.locator("#gallery-live")).to_have_text(f"{name} removed from your favorites")


def test_three_ticked_voices_are_compared(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/voices")
    ticks = page.locator('input[name="voice_ids"]')
    ticks.nth(0).check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.locator("#compare-status")).to_contain_text("1 ticked")  # not sent
    expect(page).to_have_url(f"{server}/voices")
    ticks.nth(1).check()
    ticks.nth(2).check()
    expect(page.locator("#compare-status")).to_have_text("3 voices ticked: ready to compare.")
    assert_accessible(page, state="three voices ticked")
    page.get_by_role("button", name="Compare selected").click()

    expect(page).to_have_url(re.compile(r"/voices/compare\?voice_ids="))
    expect(page.locator('input[name="voice_id"]:checked')).to_have_count(3)
    page.get_by_label("Text to hear").fill("Mind the gap.")
    expect(page.locator("#compare-pick")).to_have_text("3 voices picked.")
    page.get_by_role("button", name="Hear them").click()
    expect(page).to_have_url(re.compile(r"/voices/compare/[0-9a-f-]{36}$"))
    players = page.locator(".reading audio")
    expect(players).to_have_count(3)
    for i in range(3):
        assert players.nth(i).evaluate(READY) >= 2, f"player {i} is not ready"
    assert_accessible(page, state="three readings")


def test_a_voice_picked_in_the_gallery_comes_back_to_the_create_page_with_the_text(
    server: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/generations/new")
    assert_accessible(page, state="the compact picker")
    page.get_by_label("Text to speak").fill(TEXT)
    expect(page.locator("#draft-status")).to_have_text("Draft saved")
    browse = page.get_by_role("link", name="Browse all voices")
    expect(browse).to_have_attribute("href", re.compile(r"pick=1&text=Once"))
    browse.click()

    expect(page).to_have_url(re.compile(r"/voices\?pick=1&text="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a voice for your audio")
    # The text is a tale for children: voices for children come first.
    first = page.locator(".voice-card").first
    expect(first).to_contain_text("children")
    assert_accessible(page, state="picking a voice")
    card = page.locator(".voice-card").nth(3)
    name = card.locator(".voice-name").inner_text()
    card.get_by_role("link", name=re.compile(r"^Use this voice")).click()

    expect(page).to_have_url(re.compile(r"/generations/new\?voice_id="))
    expect(page.get_by_label("Text to speak")).to_have_value(TEXT)
    expect(page.locator("#chosen-name")).to_have_text(name)
    expect(page.locator('input[name="voice_id"]:checked')).to_have_attribute("data-name", name)
    submit = page.get_by_role("button", name="Make audio and QR code")
    submit.scroll_into_view_if_needed()
    expect(submit).to_be_in_viewport()
    assert_fits_the_screen(page)
    assert_accessible(page, state="the picked voice chosen")


def test_a_voices_page_explains_why_rating_waits_for_audio_made_with_it(
    server: str, page: Any
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/voices?sort=name")
    first = page.locator(".voice-card").first
    name = first.locator(".voice-name").inner_text()
    first.get_by_role("link", name=re.compile(r"^Reviews")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator(".empty")).to_have_text("No reviews yet.")
    assert_fits_the_screen(page)
    assert_accessible(page, state="a voice without reviews")

    page.get_by_label("5 stars").check()
    page.get_by_role("button", name=f"Rate {name}").click()
    expect(page.locator("#review-error")).to_have_text(
        "You can rate a voice once you have made audio with it."
    )
    assert_accessible(page, state="rating refused")
