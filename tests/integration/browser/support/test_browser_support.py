"""A support ticket end to end in headless Chromium: a user on a phone opens a ticket
from a failed generation, staff answer on a desktop (and leave a note), the user gets
the mail, follows it to the ticket, sees the reply (not the note) and answers."""

from __future__ import annotations

import asyncio
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
    open_mail,
    serving,
    sign_in,
)
from tests.integration.failed_generations import QuotaGone

pytestmark = pytest.mark.browser

USER = "ann@example.test"
STAFF = "help@example.test"
PASSWORD = "correct horse battery staple"
FAILED_TEXT = "Welcome to room four of the museum"
REPLY = "Your quota is topped up: the generation works again."
NOTE = "Quota raised by hand; keep an eye on this account."


async def _failed_generation(env: dict[str, str]) -> str:
    """On the data directory, before the server starts: a generation of the user that
    failed for good (its quota used up)."""
    from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
    from voiceqr.bootstrap import Adapters, build
    from voiceqr.settings import load

    settings = load(env)
    database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(uow=database, speech={"espeak": QuotaGone()}))
    await platform.start()
    try:
        user = await platform.accounts.accounts.get_by_email(USER)
        assert user is not None
        voice = (await platform.voices.list_for(None))[0]
        failed = await platform.generations.generations.request(
            user, text=FAILED_TEXT, voice_id=voice.id
        )
        await platform.generations.generations.process(failed.id)
        return str(failed.id)
    finally:
        await platform.stop()
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, USER, PASSWORD, name="Ann")
    create_user(env, STAFF, PASSWORD, name="Hana", admin=True)
    generation_id = asyncio.run(
        _failed_generation({k: v for k, v in env.items() if k.startswith("VOICEQR_")})
    )
    with serving(env, port, data / "serve.log") as base:
        yield base, generation_id


def test_a_user_asks_about_a_failed_generation_and_hears_back(
    server: tuple[str, str],
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    base, generation_id = server
    phone = browser.new_context(**MOBILE)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    for context in (phone, desk):
        context.set_default_timeout(10_000)
    try:
        # The user, on a phone: from the failed generation to a new ticket.
        user = phone.new_page()
        sign_in(user, base, USER, PASSWORD)
        user.goto(f"{base}/generations/{generation_id}")
        user.get_by_role("link", name="Ask support about this").click()
        expect(user.locator("#about-generation")).to_contain_text("could not be made")
        assert_fits_the_screen(user)
        assert_accessible(user, state="a new ticket about a failed generation")
        user.get_by_label("What happened?").fill("The code on my poster says nothing.")
        user.get_by_role("button", name="Open the ticket").click()
        expect(user.get_by_role("status")).to_contain_text("Your ticket is open")
        expect(user.locator("#status")).to_have_text("Open")
        assert_fits_the_screen(user)
        assert_accessible(user, state="the ticket just opened")
        ticket_url = user.url.split("?")[0]

        # Staff, on a desktop: the queue, the ticket with its error, a note and a reply.
        staff = desk.new_page()
        sign_in(staff, base, STAFF, PASSWORD)
        staff.goto(f"{base}/admin/support?generation=yes")
        assert_accessible(staff, state="the queue filtered to failed generations")
        staff.get_by_role("link", name="My spoken QR code could not be made").click()
        expect(staff.locator("#error-code")).to_have_text("quota_exceeded")
        expect(staff.locator("#retry-form")).to_be_visible()
        assert_accessible(staff, state="a ticket about a failed generation")
        staff.get_by_label("Note", exact=True).fill(NOTE)
        staff.get_by_role("button", name="Add the note").click()
        expect(staff.get_by_role("status")).to_contain_text("internal note")
        staff.get_by_label("Reply", exact=True).fill(REPLY)
        staff.get_by_role("button", name="Send to the user").click()
        expect(staff.get_by_role("status")).to_contain_text("the user is told")
        expect(staff.locator("#status")).to_have_text("Waiting for the user")
        assert_accessible(staff, state="replied, with a note")

        # The user gets the mail and follows it to the ticket: the reply, not the note.
        link = open_mail(user, base, to=USER, subject="Re: My spoken QR code could not be made")
        assert link == ticket_url
        expect(user.locator("#messages")).to_contain_text(REPLY)
        expect(user.locator("#messages")).not_to_contain_text(NOTE)
        expect(user.locator("#status")).to_have_text("Waiting for you")
        assert_fits_the_screen(user)
        assert_accessible(user, state="the staff reply shown")
        user.get_by_label("Your message").fill("It plays now, thank you!")
        user.get_by_role("button", name="Send").click()
        expect(user.get_by_role("status")).to_contain_text("Your answer is sent")
        expect(user.locator("#status")).to_have_text("Open")
        expect(user.locator("#messages .message")).to_have_count(3)
        assert_accessible(user, state="the user answered")

        user.goto(f"{base}/support")
        expect(user.locator("#tickets .ticket")).to_have_count(1)
        assert_fits_the_screen(user)
        assert_accessible(user, state="the help page with one ticket")
    finally:
        phone.close()
        desk.close()
