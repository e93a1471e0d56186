"""Edit and regenerate (G3) in a real headless Chromium against `voiceqr serve` (espeak):
the printed QR code stays the same and its playback page plays the new version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "editor@example.test"
PASSWORD = "correct horse battery staple"
FIRST = "The east wing is closed today."
SECOND = "Good news: the east wing is open again."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_regenerating_keeps_the_printed_code_and_plays_the_new_version(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        page.locator("#text").fill(FIRST)
        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}$"))
        generation_url = page.url
        expect(page.locator("#status")).to_have_text("Ready")

        qr_src = page.locator(".qr img").get_attribute("src")
        assert qr_src
        qr_before = page.request.get(server + qr_src).body()
        playback_url = page.locator(".qr a").first.get_attribute("href")
        assert playback_url
        first_audio = page.locator("#audio").get_attribute("src")
        assert page.locator("#revisions").count() == 0  # one version: nothing to list yet

        # Edit the text, pick another voice, and make the new version.
        page.locator("#edit summary").click()
        expect(page.locator("#edit-text")).to_have_value(FIRST)
        assert_accessible(page, state="the edit form open")
        options = page.locator("#edit-voice option")
        assert options.count() >= 2
        page.locator("#edit-voice").select_option(index=1)
        page.locator("#edit-text").fill(SECOND)
        page.get_by_role("button", name="Make the new version").click()

        # Back on the same page, which follows the new version until it is ready.
        expect(page).to_have_url(generation_url)
        expect(page.locator("#status")).to_have_text("Ready")
        second_audio = page.locator("#audio").get_attribute("src")
        assert second_audio
        assert second_audio != first_audio
        versions = page.locator("#revisions li.revision")
        expect(versions).to_have_count(2)
        expect(versions.first).to_contain_text("Version 2")
        expect(versions.first).to_contain_text("Playing at the QR code")
        expect(versions.nth(1).locator("audio")).to_have_attribute("src", first_audio or "")
        assert_accessible(page, state="two versions")

        # The QR code is byte for byte the one already printed ...
        assert page.request.get(server + qr_src).body() == qr_before
        # ... and the page it opens plays the new version.
        scan = context.new_page()
        scan.goto(playback_url)
        expect(scan.locator("#player")).to_have_attribute("src", second_audio)
        expect(scan.locator(".transcript")).to_have_text(SECOND)
        scan.wait_for_function(
            "() => { const p = document.getElementById('player');"
            " return p.error !== null || (p.readyState >= 1 && p.duration > 0); }"
        )
        assert scan.evaluate("() => document.getElementById('player').error") is None
    finally:
        context.close()
