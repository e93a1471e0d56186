"""The admins' recovery pages (F3) in a real headless Chromium on a phone-sized screen:
from the dashboard to a failed generation's technical detail, edit and requeue, cancel
after a confirmation, and "Retry selected"."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import free_port
from tests.integration.browser_support import (
    assert_accessible,
    browser,  # noqa: F401  (the module's Chromium fixture)
    create_user,
    embedded_env,
    serving,
    sign_in,
)
from tests.integration.failed_generations import QuotaGone
from tests.integration.http_helpers import due_tomorrow

pytestmark = pytest.mark.browser

EMAIL = "root@example.test"
PASSWORD = "correct horse battery staple"
FAILED_TEXT = "The quota ran out on this one"
WAITING_TEXT = "This one waits until tomorrow"


async def _failures(env: dict[str, str]) -> None:
    """On the data directory, before the server starts: a generation of the admin that
    failed for good, and one whose next attempt is tomorrow."""
    from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
    from voiceqr.bootstrap import Adapters, build
    from voiceqr.settings import load

    settings = load(env)
    database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(uow=database, speech={"espeak": QuotaGone()}))
    await platform.start()
    try:
        admin = await platform.accounts.accounts.get_by_email(EMAIL)
        assert admin is not None
        voice = (await platform.voices.list_for(None))[0]
        failed = await platform.generations.generations.request(
            admin, text=FAILED_TEXT, voice_id=voice.id
        )
        await platform.generations.generations.process(failed.id)
        async with database() as uow:
            await uow.generations.add(due_tomorrow(admin.id, voice.id, WAITING_TEXT))
            await uow.commit()
    finally:
        await platform.stop()
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, EMAIL, PASSWORD, name="Root", admin=True)
    asyncio.run(_failures({k: v for k, v in env.items() if k.startswith("VOICEQR_")}))
    with serving(env, port, data / "serve.log") as base:
        yield base


def fits(page: Any) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


def test_an_admin_recovers_generations_on_a_phone(server: str, browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)
        page.goto(f"{server}/admin")
        page.get_by_role("link", name="Retry, cancel or edit failed generations").click()
        expect(page).to_have_url(f"{server}/admin/generations?status=failed")
        expect(page.locator(".generation-row")).to_have_count(1)
        assert fits(page)
        assert_accessible(page)

        # The failed one: its technical detail, then a corrected text, requeued.
        page.get_by_role("link", name=FAILED_TEXT).click()
        expect(page.locator("#error-detail pre")).to_be_hidden()
        page.get_by_text("Technical detail of the last failure").click()
        detail = page.locator("#error-detail pre")
        expect(detail).to_contain_text("Traceback")
        expect(detail).to_contain_text("SpeechError: The speech quota is used up.")
        assert fits(page)
        assert_accessible(page, state="the technical detail open")
        page.get_by_text("Edit and requeue").click()
        expect(page.get_by_label("Text to speak")).to_have_value(FAILED_TEXT)
        page.get_by_label("Text to speak").fill("The quota is back for this one")
        page.get_by_role("button", name="Save and requeue").click()
        expect(page.get_by_role("status")).to_contain_text("Saved as a new version")
        assert_accessible(page, state="saved as a new version")

        # The waiting one: nothing happens until the confirmation.
        page.goto(f"{server}/admin/generations?status=pending")
        page.get_by_role("link", name=WAITING_TEXT).click()
        expect(page.get_by_role("button", name="Yes, cancel it")).to_be_hidden()
        page.get_by_text("Cancel this generation").click()
        page.get_by_role("button", name="Yes, cancel it").click()
        expect(page.get_by_role("status")).to_contain_text("Cancelled")
        expect(page.locator("#status")).to_contain_text("cancelled_by_admin")
        assert_accessible(page, state="cancelled")

        # Now failed (cancelled): ticked on the list and retried.
        page.goto(f"{server}/admin/generations?status=failed&category=system")
        page.get_by_role("checkbox", name=f"Select “{WAITING_TEXT}”").check()
        page.get_by_role("button", name="Retry selected").click()
        expect(page.get_by_role("status")).to_contain_text("Requeued 1 generation.")
        assert_accessible(page, state="one generation requeued")
    finally:
        context.close()
