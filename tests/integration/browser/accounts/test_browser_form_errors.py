"""A refused form as a keyboard and screen-reader user meets it: the message is tied to
the fields, and the keyboard focus shows where it is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.browser_support import (
    MOBILE,
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_server_with_user,
)

pytestmark = pytest.mark.browser

EMAIL = "keyboard@example.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    with embedded_server_with_user(data, EMAIL, PASSWORD) as base:
        yield base


def test_a_wrong_password_is_read_with_the_fields_and_the_focus_ring_shows(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**MOBILE)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(f"{server}/signin")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()

        alert = page.get_by_role("alert")
        expect(alert).to_have_text("The email or password is not right.")
        for field in (page.get_by_label("Email"), page.get_by_label("Password")):
            expect(field).to_have_attribute("aria-invalid", "true")
            # What a screen reader announces with the field: the message.
            expect(field).to_have_accessible_description("The email or password is not right.")
        assert_accessible(page, state="a refused sign-in on a phone")

        # A keyboard user sees where the focus is: a solid ring, not the bare field.
        page.get_by_label("Password").focus()
        page.keyboard.press("Shift+Tab")
        expect(page.get_by_label("Email")).to_be_focused()
        outline = page.get_by_label("Email").evaluate(
            "(e) => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
        )
        assert outline == ["solid", "3px"], outline
    finally:
        context.close()
