"""New terms end to end in headless Chromium: an admin publishes a material version of
the terms through the preview; a user who signs in on a phone lands on the acceptance
page first, reads what changed, accepts and reaches their page; a newcomer's sign-up
links to the terms in force and records both acceptances (the admin page counts them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import free_port
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

USER = "ann@example.test"
ADMIN = "boss@example.test"
NEWCOMER = "newcomer@example.test"
PASSWORD = "correct horse battery staple"
SUMMARY = "We now keep the audio of deleted codes for 30 days."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, USER, PASSWORD, name="Ann")
    create_user(env, ADMIN, PASSWORD, name="Bo", admin=True)
    with serving(env, port, data / "serve.log") as base:
        yield base


def test_new_material_terms_are_accepted_at_the_next_sign_in_and_at_sign_up(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(**MOBILE)
    other_phone = browser.new_context(**MOBILE)
    for context in (desk, phone, other_phone):
        context.set_default_timeout(10_000)
    try:
        # The admin publishes version 2 of the terms, material, in force today.
        admin = desk.new_page()
        sign_in(admin, server, ADMIN, PASSWORD)
        admin.goto(f"{server}/admin/legal")
        expect(admin.locator("#versions-terms .legal-version")).to_have_count(1)
        assert_accessible(admin, state="the first versions, the publish form")
        admin.get_by_label("Document").select_option("terms")
        admin.get_by_label("Text (Markdown)").fill(
            "# Terms of service\n\n## Audio\n\nWe keep the audio of deleted codes for 30 days."
        )
        admin.get_by_label("What changed (shown to users)").fill(SUMMARY)
        admin.get_by_label("Material change").check()
        admin.get_by_label("Reason (kept in the audit log)").fill("Counsel's review")
        admin.get_by_role("button", name="Preview").click()
        expect(admin.get_by_role("heading", level=1)).to_have_text(
            "Publish terms of service version 2?"
        )
        assert_accessible(admin, state="the preview of version 2")
        admin.get_by_role("button", name="Publish version 2").click()
        # The admin accepts too, before anything else; then the page says it is published.
        expect(admin.locator("#legal-acceptance")).to_be_visible()
        admin.get_by_role("button", name="I accept").click()
        expect(admin.locator("#notice")).to_contain_text("published")
        expect(admin.locator("#versions-terms .legal-version").first).to_contain_text("in force")

        # The user signs in on a phone: the acceptance page comes first.
        user = phone.new_page()
        user.goto(f"{server}/signin")
        user.get_by_label("Email").fill(USER)
        user.get_by_label("Password").fill(PASSWORD)
        user.get_by_role("button", name="Sign in").click()
        expect(user).to_have_url(f"{server}/legal/accept?next=/generations/new")
        expect(user.locator("#accept-title")).to_have_text("Our terms changed")
        expect(user.locator("#legal-acceptance")).to_contain_text(SUMMARY)
        assert_fits_the_screen(user)
        assert_accessible(user, state="the acceptance page")
        # Another page sends the user back here until they accept.
        user.goto(f"{server}/generations")
        expect(user).to_have_url(f"{server}/legal/accept?next=/generations")
        user.get_by_role("link", name="Read the full terms of service").click()
        expect(user.locator("#legal-text")).to_contain_text("30 days")
        assert_fits_the_screen(user)
        assert_accessible(user, state="the new terms in full")
        user.go_back()
        user.get_by_role("button", name="I accept").click()
        expect(user).to_have_url(f"{server}/generations")
        assert_accessible(user, state="the user's history after accepting")

        # A newcomer signs up: the tick box links to the terms in force.
        newcomer = other_phone.new_page()
        newcomer.goto(f"{server}/signup")
        link = newcomer.get_by_role("link", name="terms of service")
        expect(link).to_have_attribute("href", "/terms")
        assert_accessible(newcomer, state="the sign-up form")
        newcomer.get_by_label("Your name").fill("Nia")
        newcomer.get_by_label("Email").fill(NEWCOMER)
        newcomer.get_by_label("Password").fill(PASSWORD)
        newcomer.get_by_role("checkbox").check()
        newcomer.get_by_role("button", name="Create my account").click()
        expect(newcomer).not_to_have_url(f"{server}/signup")

        # The admin page counts the acceptances: Ann, the admin and the newcomer.
        admin.goto(f"{server}/admin/legal")
        expect(admin.locator('#versions-terms [data-version="2"] .acceptances')).to_have_text("3")
        expect(admin.locator('#versions-privacy [data-version="1"] .acceptances')).to_have_text("1")
        assert_accessible(admin, state="the versions with their acceptance counts")
    finally:
        for context in (desk, phone, other_phone):
            context.close()
