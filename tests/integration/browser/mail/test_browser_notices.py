"""Notification settings and in-app notices in headless Chromium: a user on a phone
turns ticket-reply mail off, staff reply on a desktop, no mail is written but the
user's navigation counts a notice, which leads to the reply."""

from __future__ import annotations

import time
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
    main_nav,
    serving,
    sign_in,
)

pytestmark = pytest.mark.browser

USER = "ann@example.test"
STAFF = "help@example.test"
PASSWORD = "correct horse battery staple"
SUBJECT = "My poster code is silent"
REPLY = "It plays again: the audio was being re-made."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, USER, PASSWORD, name="Ann")
    create_user(env, STAFF, PASSWORD, name="Hana", admin=True)
    with serving(env, port, data / "serve.log") as base:
        yield base


def test_with_reply_mail_off_a_staff_reply_shows_as_a_notice_and_is_not_mailed(
    server: str,
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    base = server
    phone = browser.new_context(**MOBILE)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    for context in (phone, desk):
        context.set_default_timeout(10_000)
    try:
        # The user, on a phone: ticket replies by mail off, in the app on.
        user = phone.new_page()
        sign_in(user, base, USER, PASSWORD)
        user.goto(f"{base}/profile#notifications")
        replies = user.locator("fieldset", has_text="Support replies to your ticket")
        replies.get_by_role("radiogroup", name="Mail").get_by_label("Off").check()
        assert_fits_the_screen(user)
        assert_accessible(user, state="the notification settings")
        user.get_by_role("button", name="Save notification settings").click()
        expect(user.get_by_role("status")).to_contain_text("notification settings are saved")
        expect(replies.get_by_role("radiogroup", name="Mail").get_by_label("Off")).to_be_checked()

        user.goto(f"{base}/notices")
        expect(user.get_by_text("No notices yet")).to_be_visible()
        assert_accessible(user, state="no notices yet")
        user.goto(f"{base}/support/new")
        user.get_by_label("Subject").fill(SUBJECT)
        user.get_by_label("What happened?").fill("Scanning it plays nothing.")
        user.get_by_role("button", name="Open the ticket").click()
        expect(user.locator("#status")).to_have_text("Open")

        # Staff, on a desktop, reply.
        staff = desk.new_page()
        sign_in(staff, base, STAFF, PASSWORD)
        staff.goto(f"{base}/admin/support")
        staff.get_by_role("link", name=SUBJECT).click()
        staff.get_by_label("Reply", exact=True).fill(REPLY)
        staff.get_by_role("button", name="Send to the user").click()
        expect(staff.locator("#status")).to_have_text("Waiting for the user")

        # No mail to the user (the mailbox delivers what is due when opened)...
        time.sleep(1)
        user.goto(f"{base}/dev/mailbox")
        rows = user.locator("li.row").filter(has=user.locator(".mail-to", has_text=USER))
        expect(rows.get_by_role("link", name=f"Re: {SUBJECT}")).to_have_count(0)

        # ...but a notice, counted in the navigation, that leads to the reply.
        user.goto(f"{base}/generations")
        expect(user.locator("nav .nav-count")).to_have_text("1 unread")
        # On the phone the links are folded: the Menu button shows the count too.
        menu = user.get_by_role("button", name="Menu")
        expect(menu.locator(".nav-count")).to_have_text("1 unread")
        main_nav(user).get_by_role("link", name="Notices").click()
        notice = user.get_by_role("link", name=f"Support replied to your ticket “{SUBJECT}”.")
        expect(notice).to_be_visible()
        assert_fits_the_screen(user)
        assert_accessible(user, state="one unread notice")
        user.get_by_role("button", name="Mark read").click()
        expect(user.locator("nav .nav-count")).to_have_count(0)
        expect(user.locator(".menu-button .nav-count")).to_have_count(0)
        notice.click()
        expect(user.locator("#messages")).to_contain_text(REPLY)
    finally:
        phone.close()
        desk.close()
