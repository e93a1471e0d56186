"""The main navigation in a real headless Chromium: on a phone it folds behind a Menu
button (one line, not three, above every signed-in page), and opens, leads and closes;
on a desktop the links are all in view and there is no button."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    DEVICES,
    assert_accessible,
    assert_fits_the_screen,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
    sign_in,
)

pytestmark = pytest.mark.browser

EMAIL = "menu@example.test"
PASSWORD = "correct horse battery staple"
LINKS = ("New", "History", "Voices", "Analytics", "Profile", "Security", "Help", "Notices")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with embedded_server_with_user(tmp_path_factory.mktemp("menu"), EMAIL, PASSWORD) as base:
        yield base


@pytest.fixture
def page_on(browser: Any) -> Iterator[Any]:  # noqa: F811
    made: list[Any] = []

    def make(device: str) -> Any:
        context = browser.new_context(**DEVICES[device])
        context.set_default_timeout(10_000)
        made.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in made:
            context.close()


def _header_height(page: Any) -> float:
    return float(page.evaluate("() => document.querySelector('header').offsetHeight"))


def test_on_a_phone_the_links_fold_behind_a_menu_button(server: str, page_on: Any) -> None:
    from playwright.sync_api import expect

    page = page_on("phone")
    sign_in(page, server, EMAIL, PASSWORD)
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert _header_height(page) < 80, "one line of header, not three"
    assert_accessible(page, state="the menu folded on a phone")

    menu.tap()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for name in LINKS:
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    # "You are here" is still marked, and the open menu fits the screen.
    expect(nav.get_by_role("link", name="New")).to_have_attribute("aria-current", "page")
    assert_fits_the_screen(page)
    assert_accessible(page, state="the menu open on a phone")

    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()

    menu.tap()
    nav.get_by_role("link", name="History").tap()
    expect(page).to_have_url(f"{server}/generations")
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()


def test_on_a_desktop_every_link_is_in_view_with_no_menu_button(server: str, page_on: Any) -> None:
    from playwright.sync_api import expect

    page = page_on("desktop")
    sign_in(page, server, EMAIL, PASSWORD)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    for name in LINKS:
        expect(nav.get_by_role("link", name=name)).to_be_visible()


def test_without_javascript_the_links_stay_open(browser: Any, server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(**DEVICES["phone"], java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        nav = page.get_by_role("navigation", name="Main")
        for name in LINKS:
            expect(nav.get_by_role("link", name=name)).to_be_visible()
    finally:
        context.close()
