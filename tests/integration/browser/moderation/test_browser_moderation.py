"""Moderation end to end in headless Chromium: an anonymous visitor reports a code
from a phone; a moderator sees it in the queue and quarantines it; the playback page
shows the notice with 451; the owner sees the decision and appeals; the moderator
reverses it and the code plays again. Every page passes the accessibility check."""

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
from voiceqr.application.shared.ports import SpeechResult

pytestmark = pytest.mark.browser

OWNER = "ann@example.test"
MODERATOR = "mo@example.test"
PASSWORD = "correct horse battery staple"
TEXT = "Welcome to the garden of the museum"


class Speaks:
    """Speech made at once, before the server starts (its bytes are not played here)."""

    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: object) -> SpeechResult:
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))


async def _completed_generation(env: dict[str, str]) -> tuple[str, str]:
    """On the data directory, before the server starts: the owner's completed code."""
    from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
    from voiceqr.bootstrap import Adapters, build
    from voiceqr.settings import load

    settings = load(env)
    database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
    platform = build(settings, Adapters(uow=database, speech={"espeak": Speaks()}))
    await platform.start()
    try:
        owner = await platform.accounts.accounts.get_by_email(OWNER)
        assert owner is not None
        voice = (await platform.voices.list_for(None))[0]
        made = await platform.generations.generations.request(owner, text=TEXT, voice_id=voice.id)
        await platform.generations.generations.process(made.id)
        return str(made.id), made.public_code
    finally:
        await platform.stop()
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    data = tmp_path_factory.mktemp("voiceqr-data")
    port = free_port()
    env = embedded_env(data, port)
    create_user(env, OWNER, PASSWORD, name="Ann")
    create_user(env, MODERATOR, PASSWORD, name="Mo", role="moderator")
    generation_id, code = asyncio.run(
        _completed_generation({k: v for k, v in env.items() if k.startswith("VOICEQR_")})
    )
    with serving(env, port, data / "serve.log") as base:
        yield base, generation_id, code


def test_a_reported_code_is_quarantined_appealed_and_plays_again(
    server: tuple[str, str, str],
    browser: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    base, generation_id, code = server
    phone = browser.new_context(**MOBILE)
    owners_phone = browser.new_context(**MOBILE)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    for context in (phone, owners_phone, desk):
        context.set_default_timeout(10_000)
    try:
        # An anonymous visitor scans the code on a phone and reports it.
        visitor = phone.new_page()
        visitor.goto(f"{base}/p/{code}")
        visitor.get_by_role("link", name="Report this audio").click()
        assert_fits_the_screen(visitor)
        assert_accessible(visitor, state="the report form")
        visitor.get_by_label("Violence or threats").check()
        visitor.get_by_label("What should we know? (optional)").fill("It threatens my neighbour.")
        visitor.get_by_role("button", name="Send the report").click()
        expect(visitor.get_by_role("status")).to_contain_text("reached our moderators")
        assert_fits_the_screen(visitor)
        assert_accessible(visitor, state="the report sent")

        # The moderator sees it in the queue and quarantines it.
        moderator = desk.new_page()
        sign_in(moderator, base, MODERATOR, PASSWORD)
        moderator.goto(f"{base}/admin/moderation")
        expect(moderator.locator("#items .moderation-item")).to_have_count(1)
        assert_accessible(moderator, state="the queue with one reported code")
        moderator.get_by_role("link", name=TEXT).click()
        expect(moderator.locator("#reports")).to_contain_text("It threatens my neighbour.")
        assert_accessible(moderator, state="a reported item")
        moderator.get_by_label("Decision").select_option("quarantine")
        moderator.get_by_label("Category (for quarantine, delete, ban)").select_option("violence")
        moderator.get_by_label("Reason (the owner and the audit log see it)").fill(
            "A threat against a person"
        )
        moderator.get_by_role("button", name="Decide").click()
        expect(moderator.get_by_role("status")).to_contain_text("The decision is taken")
        expect(moderator.locator("#item-state")).to_contain_text("quarantined")
        assert_accessible(moderator, state="the item quarantined")

        # The playback page answers 451 with a neutral notice, and no player.
        answer = visitor.goto(f"{base}/p/{code}")
        assert answer is not None
        assert answer.status == 451
        expect(visitor.get_by_role("heading", level=1)).to_have_text("This audio is not available")
        expect(visitor.locator("audio")).to_have_count(0)
        assert_fits_the_screen(visitor)
        assert_accessible(visitor, state="a quarantined code")

        # The owner sees the decision on the generation page and appeals once.
        owner = owners_phone.new_page()
        sign_in(owner, base, OWNER, PASSWORD)
        owner.goto(f"{base}/generations/{generation_id}")
        expect(owner.locator("#moderation-decision")).to_contain_text("withheld")
        assert_fits_the_screen(owner)
        assert_accessible(owner, state="the decision told to the owner")
        owner.get_by_label("Appeal once").fill("It is a line from a play we stage.")
        owner.get_by_role("button", name="Send my appeal").click()
        expect(owner.locator("#appeal-status")).to_contain_text("with the moderators")
        expect(owner.locator("#appeal-form")).to_have_count(0)
        assert_accessible(owner, state="the appeal sent")

        # The moderator reads the appeal and reverses the decision.
        moderator.goto(f"{base}/admin/moderation")
        moderator.get_by_role("link", name=TEXT).click()
        expect(moderator.locator("#appeals")).to_contain_text("a line from a play")
        assert_accessible(moderator, state="an appealed item")
        moderator.get_by_label("Decision").select_option("reverse")
        moderator.get_by_label("Reason (the owner and the audit log see it)").fill(
            "A quote from a play, not a threat"
        )
        moderator.get_by_role("button", name="Decide").click()
        expect(moderator.locator("#item-state")).to_contain_text("none")
        expect(moderator.locator("#history")).to_contain_text("Restored")

        # The code plays again.
        again = visitor.goto(f"{base}/p/{code}")
        assert again is not None
        assert again.status == 200
        expect(visitor.locator("audio#player")).to_have_count(1)
        assert_accessible(visitor, state="the code restored")
    finally:
        for context in (phone, owners_phone, desk):
            context.close()
