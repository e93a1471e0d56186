"""The compare page: the form, refusals in words, the results as cards with players,
the reload without a script, and another user's comparison."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.integration.http_helpers import (
    BROWSER,
    CSRF_FIELD,
    Agent,
    RunningApp,
    audio_sources,
    csrf_token,
    fetch_audio,
    looks_like_mp3,
)
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")

TEXT = "Mind the gap between the train and the platform."


async def compare_form(agent: Agent, text: str, voice_ids: list[str]) -> httpx.Response:
    """Post the compare form as a browser: one `voice_id` field per ticked voice."""
    form = await agent.open_form("/voices/compare")
    fields: dict[str, Any] = {
        "text": text,
        "voice_id": voice_ids,
        CSRF_FIELD: csrf_token(form.text),
    }
    return await agent.post("/voices/compare", data=fields, headers=BROWSER)


async def test_the_page_shows_the_form_with_every_published_voice(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    page = await alice.get("/voices/compare", headers=BROWSER)

    assert page.status_code == 200
    assert 'maxlength="300"' in page.text
    for voice in voices:
        assert f'type="checkbox" name="voice_id" value="{voice["id"]}"' in page.text


async def test_signing_in_is_needed(alice: Agent) -> None:
    page = await Agent(alice.client).get("/voices/compare", headers=BROWSER)
    assert page.status_code in (302, 303)
    assert page.headers["location"].startswith("/signin")


@pytest.mark.parametrize(
    ("picked", "text", "words"),
    [
        (1, TEXT, "Pick at least 2 voices to compare."),
        (5, TEXT, "Pick at most 4 voices to compare; you picked 5."),
        (2, "x" * 301, "at most 300"),
    ],
)
async def test_a_bad_form_comes_back_with_the_reason_in_words(
    carol: Agent, voices: list[dict[str, Any]], picked: int, text: str, words: str
) -> None:
    assert len(voices) >= 5
    chosen = [v["id"] for v in voices[:picked]]

    page = await compare_form(carol, text, chosen)

    assert page.status_code == 422
    assert words in page.text
    for voice_id in chosen:  # what was ticked stays ticked
        assert f'value="{voice_id}" checked' in page.text


async def test_three_voices_come_back_as_three_cards_with_players(
    alice: Agent, bob: Agent, voices: list[dict[str, Any]]
) -> None:
    chosen = [v["id"] for v in voices[:3]]
    sent = await compare_form(alice, TEXT, chosen)
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert re.fullmatch(r"/voices/compare/[0-9a-f-]{36}", location)

    first = await alice.get(location, headers=BROWSER)
    assert first.status_code == 200
    assert first.text.count('class="card reading"') == 3
    for voice in voices[:3]:
        assert voice["name"] in first.text

    deadline = time.monotonic() + 60
    while len(audio_sources((page := await alice.get(location, headers=BROWSER)).text)) < 3:
        assert time.monotonic() < deadline, page.text
        await asyncio.sleep(0.1)
    assert "3 of 3 ready" in page.text
    assert 'http-equiv="refresh"' not in page.text
    for source in audio_sources(page.text):
        assert looks_like_mp3(await fetch_audio(alice, source))

    assert (await bob.get(location, headers=BROWSER)).status_code == 404


async def test_without_a_script_the_page_reloads_itself_once_while_readings_wait(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    assert alice.user is not None
    now = datetime.now(UTC)
    waiting = Preview(  # due tomorrow: no worker touches it
        id=uuid7(),
        cache_key="f" * 64,
        voice_id=UUID(voices[0]["id"]),
        text="Still waiting.",
        requested_by=alice.user.id,
        created_at=now,
        expires_at=now + timedelta(days=7),
        next_attempt_at=now + timedelta(days=1),
    )
    comparison = Comparison(
        id=uuid7(),
        owner_id=alice.user.id,
        text="Still waiting.",
        created_at=now,
        expires_at=now + timedelta(days=7),
        voice_ids=[waiting.voice_id],
        preview_ids=[waiting.id],
    )

    async def store() -> None:
        async with app.uow() as uow:
            await uow.previews.add(waiting)
            await uow.comparisons.add(comparison)
            await uow.commit()

    app.call(store)
    location = f"/voices/compare/{comparison.id}"

    first = await alice.get(location, headers=BROWSER)
    assert '<meta http-equiv="refresh" content="5;url=' + location + '?reloaded=1">' in first.text
    assert "Waiting its turn" in first.text
    reloaded = await alice.get(f"{location}?reloaded=1", headers=BROWSER)
    assert 'http-equiv="refresh"' not in reloaded.text
    assert f'<a href="{location}">Reload</a>' in reloaded.text
