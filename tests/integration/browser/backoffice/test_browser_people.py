"""People in the backoffice in a real headless Chromium on a phone: a support agent
finds a user by name, locks them with a reason (and lets them in again), and the user
reads what support did and why on their security page."""

from __future__ import annotations

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
    main_nav,
    serving,
    sign_in,
)

pytestmark = pytest.mark.browser

AGENT = "agent@example.test"
USER = "dora@example.test"
PASSWORD = "correct horse battery staple"
WHY = "Dora asked us by phone to stop sign-ins while she travels"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.conftest import free_port

    data: Path = tmp_path_factory.mktemp("voiceqr-people")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, AGENT, PASSWORD, name="Sam Agent", role="support")
    create_user(env, USER, PASSWORD, name="Dora Explorer")
    create_user(env, "dorian@example.test", PASSWORD, name="Dorian Gray")
    with serving(env, port, data / "serve.log") as base:
        yield base


def on_a_phone(browser: Any) -> Any:  # noqa: F811
    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    return context


def test_support_finds_a_user_by_name_locks_them_and_the_user_reads_why(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    agent = on_a_phone(browser)
    try:
        page = agent.new_page()
        sign_in(page, server, AGENT, PASSWORD)
        main_nav(page).get_by_role("link", name="People").click()
        expect(page).to_have_url(f"{server}/admin/users")
        assert_accessible(page)
        assert_fits_the_screen(page)
        page.get_by_label("Email or name starts with").fill("dora")
        page.get_by_role("button", name="Search").click()
        rows = page.locator("#user-list .user-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(USER)
        assert_accessible(page, state="search results")
        page.get_by_role("link", name="Dora Explorer").click()
        expect(page.get_by_role("heading", name="Dora Explorer")).to_be_visible()
        assert_fits_the_screen(page)
        assert_accessible(page)

        page.locator("#lock summary").click()
        page.get_by_label("For how many minutes").fill("120")
        page.locator("#lock-reason").fill(WHY)
        page.get_by_role("button", name="Lock", exact=True).click()
        expect(page.locator("#notice")).to_contain_text("Locked")
        expect(page.locator("#status")).to_contain_text("locked until")
        expect(page.locator("#staff-actions")).to_contain_text(WHY)
        assert_accessible(page, state="locked")

        page.locator("#unlock summary").click()
        page.locator("#unlock-reason").fill("She is back home")
        page.get_by_role("button", name="Unlock", exact=True).click()
        expect(page.locator("#notice")).to_contain_text("Unlocked")
    finally:
        agent.close()

    user = on_a_phone(browser)
    try:
        page = user.new_page()
        sign_in(page, server, USER, PASSWORD)
        page.goto(f"{server}/security")
        changes = page.locator("#support-changes")
        expect(changes).to_contain_text("Your account was locked")
        expect(changes).to_contain_text(WHY)
        expect(changes).to_contain_text("Your account was unlocked")
        expect(changes).to_contain_text("voiceqr support")
        expect(changes).not_to_contain_text(AGENT)
        assert_fits_the_screen(page)
        assert_accessible(page, state="changes made by support")
    finally:
        user.close()
