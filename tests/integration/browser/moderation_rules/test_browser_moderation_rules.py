"""Moderation automation in headless Chromium: the owner of a text the filter held
sees "pending review" on a phone; a moderator approves it from the held page; an
admin adds a flagging rule, tries it on the last generations and edits the filter's
entries. Every page passes the accessibility check."""

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
    serving,
    sign_in,
)

pytestmark = pytest.mark.browser

USER = "ann@example.test"
ADMIN = "root@example.test"
PASSWORD = "correct horse battery staple"
HELD_TEXT = "Double your bitcoin at the museum shop"


async def _held_generation(env: dict[str, str]) -> str:
    """Before the server starts: a request of the user that the filter holds."""
    from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
    from voiceqr.bootstrap import Adapters, build
    from voiceqr.settings import load

    settings = load(env)
    database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(uow=database))
    await platform.start()
    try:
        user = await platform.accounts.accounts.get_by_email(USER)
        assert user is not None
        voice = (await platform.voices.list_for(None))[0]
        held = await platform.generations.generations.request(
            user, text=HELD_TEXT, voice_id=voice.id
        )
        return str(held.id)
    finally:
        await platform.stop()
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, USER, PASSWORD, name="Ann")
    create_user(env, ADMIN, PASSWORD, name="Root", admin=True)
    generation_id = asyncio.run(
        _held_generation({k: v for k, v in env.items() if k.startswith("VOICEQR_")})
    )
    with serving(env, port, data / "serve.log") as base:
        yield base, generation_id


def test_a_held_text_waits_for_a_moderator_and_admins_tune_the_rules(
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
        owner = phone.new_page()
        sign_in(owner, base, USER, PASSWORD)
        owner.goto(f"{base}/generations/{generation_id}")
        expect(owner.locator("#status")).to_contain_text("Pending review")
        assert_fits_the_screen(owner)
        assert_accessible(owner, state="a generation held for review")
        owner.goto(f"{base}/generations")
        expect(owner.locator(".status-pending_review")).to_have_text("Pending review")
        assert_accessible(owner, state="the history with a held generation")

        staff = desk.new_page()
        sign_in(staff, base, ADMIN, PASSWORD)
        staff.goto(f"{base}/admin/moderation/held")
        assert_accessible(staff, state="the held generations")
        row = staff.locator(f'li[data-id="{generation_id}"]')
        row.get_by_label("Reason").fill("A real raffle of the museum")
        row.get_by_role("button", name="Approve and make it").click()
        expect(staff.locator("#notice")).to_contain_text("approved and queued")
        expect(staff.locator("#nothing-held")).to_be_visible()

        staff.goto(f"{base}/admin/moderation/rules")
        assert_accessible(staff, state="no rules yet")
        form = staff.locator("#rule-form")
        form.get_by_label("Name").fill("same-text")
        form.get_by_label("Kind").select_option("same_text")
        form.get_by_label("Parameters").fill("accounts = 2\nwindow_hours = 1")
        form.get_by_label("Reason for the change").fill("Copies of one scam")
        form.get_by_role("button", name="Save the rule").click()
        expect(staff.locator("#notice")).to_have_text("The rule is saved.")
        assert_accessible(staff, state="a rule saved, off")
        staff.get_by_role("link", name="Try it on the last generations").click()
        expect(staff.locator("#dry-run-summary")).to_contain_text("Would have flagged 0")
        assert_accessible(staff, state="a dry run")

        staff.goto(f"{base}/admin/moderation/terms")
        staff.get_by_role("textbox", name="Entries (0 saved)").fill("block domain spam bad.example")
        staff.get_by_label("Reason for the change").fill("A scam site")
        staff.get_by_role("button", name="Save the entries").click()
        expect(staff.locator("#notice")).to_contain_text("saved")
        assert_accessible(staff, state="the filter's entries saved")

        owner.goto(f"{base}/generations/{generation_id}")
        expect(owner.locator("#status")).not_to_contain_text("Pending review")
    finally:
        phone.close()
        desk.close()
