"""The admin dashboard (F6, O11) and the failure-mail setting (F4) in a real headless
Chromium, on a phone-sized screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    main_nav,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "root@example.test"
PASSWORD = "correct horse battery staple"
FAILURE_SETTING = "A generation fails for good"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD, name="Root", admin=True) as base:
        yield base


@pytest.fixture
def page(server: str, browser: Any) -> Iterator[Any]:  # noqa: F811
    """The admin, signed in, on a phone-sized screen."""

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        yield page
    finally:
        context.close()


def test_an_admin_reads_the_dashboard_on_a_phone(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    main_nav(page).get_by_role("link", name="Admin").click()
    expect(page).to_have_url(f"{server}/admin")
    expect(page.get_by_role("heading", name="Failure rate now")).to_be_visible()
    expect(page.get_by_text("No attempt failed in this window.")).to_be_visible()
    expect(page.get_by_text("No generation has failed for good.")).to_be_visible()
    # The operator who created this account at the terminal is in the audit log.
    entry = page.locator("#audit .row").first
    expect(entry).to_contain_text("user.create")
    expect(entry).to_contain_text("cli")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)

    page.get_by_role("link", name="Last 7 days").click()
    expect(page).to_have_url(f"{server}/admin?window=7d#failures")
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")

    page.get_by_label("Action").fill("voice")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No admin action matches these filters.")).to_be_visible()
    assert_accessible(page, state="no audit entry matches")


def test_the_failure_mail_can_be_turned_off_on_the_profile_page(server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/profile")
    failures = page.get_by_role("group", name=FAILURE_SETTING).get_by_role(
        "radiogroup", name="Mail"
    )
    expect(failures.get_by_label("Each time")).to_be_checked()
    assert_accessible(page)
    failures.get_by_label("Off").check()
    page.get_by_role("button", name="Save notification settings").click()
    expect(page.get_by_text("Your notification settings are saved.")).to_be_visible()
    assert_accessible(page, state="settings saved")
    expect(failures.get_by_label("Off")).to_be_checked()
    page.reload()
    failures = page.get_by_role("group", name=FAILURE_SETTING).get_by_role(
        "radiogroup", name="Mail"
    )
    expect(failures.get_by_label("Off")).to_be_checked()
