"""The draft autosave of the create page (P9) in a real headless Chromium."""

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

EMAIL = "drafter@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_typed_text_is_autosaved_restored_and_cleared_by_a_generation(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)

        second = page.locator("label.pick").nth(1)
        second.locator(".voice-name").click()
        second_id = second.locator("input[type=radio]").get_attribute("value")
        text = "Half-typed words about the east wing"
        page.locator("#text").fill(text)
        expect(page.locator("#draft-status")).to_have_text("Draft saved")

        # Another visit (a closed tab, a crash) finds the text and the voice again.
        page.reload()
        expect(page.locator("#text")).to_have_value(text)
        expect(page.locator(f'input[name="voice_id"][value="{second_id}"]')).to_be_checked()
        expect(page.locator("#draft-status")).to_have_text("Draft restored")
        assert_accessible(page, state="a restored draft")

        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}$"))
        page.goto(f"{server}/generations/new")
        expect(page.locator("#text")).to_have_value("")
        # The voice just used is first in the picker now, chosen and labelled as recent.
        first = page.locator("label.pick").first
        expect(first.locator(".recent")).to_have_text("Recent")
        expect(first.locator("input[type=radio]")).to_have_attribute("value", second_id)
        expect(first.locator("input[type=radio]")).to_be_checked()
    finally:
        context.close()
