"""Viewing as a user in a real headless Chromium on a phone: a support agent opens a
user's page, views the site as them with a reason, sees their History under the
read-only banner, is refused when trying to delete, and Stop brings them back to the
user's page in the backoffice, acting as themselves again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    embedded_env,
    serving,
    sign_in,
)

pytestmark = pytest.mark.browser

AGENT = "agent@example.test"
USER = "vera@example.test"
PASSWORD = "correct horse battery staple"
WHY = "Vera cannot find her codes (ticket 12)"
SPOKEN = "Welcome to the east wing"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.conftest import free_port

    data: Path = tmp_path_factory.mktemp("voiceqr-view-as")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, AGENT, PASSWORD, name="Sam Agent", role="support")
    create_user(env, USER, PASSWORD, name="Vera Lynn")
    with serving(env, port, data / "serve.log") as base:
        yield base


def test_support_views_a_users_history_read_only_and_stops_back_on_their_page(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    owner = browser.new_context(**MOBILE)
    owner.set_default_timeout(20_000)
    try:
        page = owner.new_page()
        sign_in(page, server, USER, PASSWORD)
        page.locator("#text").fill(SPOKEN)
        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page).to_have_url(re.compile(r"/generations/[0-9a-f-]{36}$"))
    finally:
        owner.close()

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, AGENT, PASSWORD)
        page.goto(f"{server}/admin/users?q=vera")
        page.get_by_role("link", name="Vera Lynn").click()
        expect(page.get_by_role("heading", name="Vera Lynn")).to_be_visible()
        user_page = page.url
        assert re.fullmatch(rf"{server}/admin/users/[0-9a-f-]{{36}}", user_page), user_page

        page.locator("#view-as summary").click()
        page.locator("#view-as-reason").fill(WHY)
        page.get_by_role("button", name="View as Vera Lynn").click()

        expect(page).to_have_url(f"{server}/generations")
        banner = page.locator("#viewing-banner")
        expect(banner).to_contain_text("Viewing as Vera Lynn (read-only)")
        expect(banner).to_contain_text(re.compile(r"ends at \d\d:\d\d"))
        expect(page.get_by_role("link", name="People")).to_have_count(0)  # her menu, not ours
        assert_fits_the_screen(page)
        assert_accessible(page, state="viewing as a user")

        expect(page.locator(".history-item")).to_contain_text(SPOKEN)
        page.get_by_role("checkbox", name=f"Select “{SPOKEN}”").check()
        page.get_by_role("button", name="Delete selected").click()
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.locator("main")).to_contain_text("read-only while viewing as Vera Lynn")
        expect(page.locator("#viewing-banner")).to_be_visible()
        assert_accessible(page, state="a change refused while viewing")

        page.goto(f"{server}/generations")
        page.locator("#viewing-banner").get_by_role("button", name="Stop").click()
        expect(page).to_have_url(user_page)
        expect(page.locator("#viewing-banner")).to_have_count(0)
        expect(page.get_by_role("heading", name="Vera Lynn")).to_be_visible()
        expect(page.locator("#staff-actions")).to_contain_text(WHY)
        page.get_by_role("link", name="Their generations").click()
        expect(page.locator("main")).to_contain_text(SPOKEN)  # the refused delete kept it
        assert_fits_the_screen(page)
        assert_accessible(page, state="back from viewing")
    finally:
        context.close()
