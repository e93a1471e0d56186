"""The pages a newcomer goes through after the landing page, on a phone and on a desktop,
kept as screenshots for reviewers: the create page with a voice picked and a text typed,
the result page of a finished generation with its QR code and buttons, History with
generations of more than one status, and the public playback page with its player and
transcript. Each page passes the accessibility check before it is kept."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import free_port
from tests.integration.browser_support import (
    DEVICES,
    assert_accessible,
    assert_fits_the_screen,
    assert_screenshot_kept,
    browser,  # noqa: F401  (the module's Chromium fixture)
    embedded_env,
    keep_screenshot,
    serving,
    sign_in,
)
from tests.integration.failed_generations import QuotaGone

pytestmark = pytest.mark.browser

EMAIL = "curator@example.test"
PASSWORD = "correct horse battery staple"
PAGES = ("create", "result", "history", "playback")
READY_TIMEOUT_MS = 30_000


async def _account_with_a_failed_generation(env: dict[str, str]) -> None:
    """On the data directory, before the server starts: the account, and a generation of
    it that failed for good (its speech quota used up), so History shows more than one
    status. In this process rather than with the CLI: one start-up fewer to wait for."""
    from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
    from voiceqr.bootstrap import Adapters, build
    from voiceqr.domain.accounts.users import Role
    from voiceqr.domain.authz import OPERATOR
    from voiceqr.settings import load

    settings = load(env)
    database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    try:
        # First with the real speech engine, which speaks the new gallery's samples.
        platform = build(settings, Adapters(uow=database))
        await platform.start(worker=False)
        try:
            await platform.accounts.accounts.create_user(
                email=EMAIL, name="Cora Curator", password=PASSWORD, role=Role.USER, actor=OPERATOR
            )
        finally:
            await platform.stop()
        platform = build(settings, Adapters(uow=database, speech={"espeak": QuotaGone()}))
        await platform.start(worker=False)
        try:
            user = await platform.accounts.accounts.get_by_email(EMAIL)
            assert user is not None
            voice = (await platform.voices.list_for(user))[0]
            text = "Welcome to room four of the museum."
            failed = await platform.generations.generations.request(
                user, text=text, voice_id=voice.id, title="Room four"
            )
            await platform.generations.generations.process(failed.id)
        finally:
            await platform.stop()
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`voiceqr serve` on a fresh data directory with one account and its failed
    generation."""
    data = tmp_path_factory.mktemp("voiceqr-screenshots")
    port = free_port()
    env = embedded_env(data, port)
    settings_env = {k: v for k, v in env.items() if k.startswith("VOICEQR_")}
    asyncio.run(_account_with_a_failed_generation(settings_env))
    with serving(env, port, data / "serve.log") as base:
        yield base


def check_and_keep(page: Any, page_name: str, device: str) -> None:
    """The page passes the accessibility check (and fits a phone), then is kept."""
    assert_accessible(page, state=f"the {page_name} page on a {device}")
    if device == "phone":
        assert_fits_the_screen(page)
    keep_screenshot(page, page_name, device)


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_reviewer_finds_screenshots_of_create_result_history_and_playback(
    server: str,
    browser: Any,  # noqa: F811
    device: str,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(**DEVICES[device])
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, server, EMAIL, PASSWORD)

        # Create: a voice picked (not the first), a title and a text typed.
        chosen = page.locator("label.pick").nth(1)
        voice_name = chosen.locator(".voice-name").inner_text()
        chosen.locator(".voice-name").click()
        expect(chosen.locator("input[type=radio]")).to_be_checked()
        text = "Welcome to the east wing. This painting was finished in 1889."
        page.locator("#title").fill(f"East wing on a {device}")
        page.locator("#text").fill(text)
        expect(page.locator("#count")).to_contain_text(f"{len(text)} / ")
        check_and_keep(page, "create", device)

        # Result: the finished generation with its audio, QR code and buttons.
        page.get_by_role("button", name="Make audio and QR code").click()
        expect(page.locator("#status")).to_have_text("Ready", timeout=READY_TIMEOUT_MS)
        expect(page.get_by_text(f"Voice: {voice_name}")).to_be_visible()
        qr = page.get_by_role("img", name="QR code that opens the playback page")
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle()
        )
        playback_url = page.locator(".qr a[href*='/p/']:not([target])").get_attribute("href")
        assert playback_url is not None
        check_and_keep(page, "result", device)

        # History: this generation ready, the seeded one failed, each status in words.
        page.goto(f"{server}/generations")
        expect(page.locator(".history-title", has_text=f"East wing on a {device}")).to_be_visible()
        failed = page.locator("li.history-item", has_text="Room four")
        expect(failed.locator(".status")).to_have_text("Failed")
        expect(page.locator(".status-completed").first).to_have_text("Ready")
        check_and_keep(page, "history", device)

        # Playback: the public page the QR code opens, its player ready, the transcript.
        page.goto(playback_url)
        page.wait_for_function(
            "() => { const p = document.getElementById('player');"
            " return p.error === null && p.readyState >= 1 && p.duration > 0; }",
            timeout=15_000,
        )
        expect(page.locator(".transcript")).to_have_text(re.compile(r"east wing"))
        expect(page.get_by_text(f"Read by {voice_name}")).to_be_visible()
        check_and_keep(page, "playback", device)
    finally:
        context.close()

    # The kept files are real pictures of the pages, where the README says they are.
    for page_name in PAGES:
        assert_screenshot_kept(page_name, device)
