"""The generation web pages: the create page and form, the history, one generation."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.integration.http_helpers import (
    BROWSER,
    ESPEAK_MAX_CHARS,
    Agent,
    RunningApp,
    audio_sources,
    fetch_audio,
    is_html,
    looks_like_mp3,
    wait_until_finished,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_create_page_offers_a_short_list_and_the_chosen_voices_sample(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    page = await alice.get("/generations/new", headers=BROWSER)

    assert page.status_code == 200
    html = page.text
    assert len(voices) > 4
    assert html.count('type="radio" name="voice_id"') == 4  # a short list, not the gallery
    for voice in voices[:4]:
        assert f'value="{voice["id"]}"' in html
    assert f'value="{voices[0]["id"]}" checked' in html
    assert f"{len(voices)} in the gallery" in html
    assert 'href="/voices?pick=1"' in html
    sources = audio_sources(html)
    assert sources == [voices[0]["samples"][0]["url"]]  # the chosen voice, playable
    assert looks_like_mp3(await fetch_audio(app.anonymous, sources[0]))


async def test_the_create_form_redirects_to_the_new_generation(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.submit(
        "/generations/new",
        "/generations",
        {"text": "Made with the form.", "voice_id": voices[1]["id"]},
    )

    assert response.status_code == 303
    match = re.fullmatch(r"/generations/([0-9a-f-]{36})", response.headers["location"])
    assert match
    done = await wait_until_finished(alice, match.group(1))
    assert done["text"] == "Made with the form."
    assert done["voice_id"] == voices[1]["id"]
    page = await alice.get(response.headers["location"], headers=BROWSER)
    assert page.status_code == 200
    assert "Made with the form." in page.text
    assert f"Voice: {voices[1]['name']}" in page.text


@pytest.mark.parametrize(
    ("text", "voice", "message"),
    [
        ("   ", "first", "Type some text to speak."),
        ("Hello", "", "Pick a voice."),
        ("Hello", "not-a-uuid", "Pick a voice."),
        ("Hello", "unknown", "Pick one of the voices in the gallery."),
        ("a" * (ESPEAK_MAX_CHARS + 1), "first", "this voice takes at most"),
    ],
    ids=["blank-text", "no-voice", "bad-voice", "unknown-voice", "too-long"],
)
async def test_a_bad_create_form_re_renders_with_422_and_a_message(
    app: RunningApp,
    carol: Agent,
    voices: list[dict[str, Any]],
    text: str,
    voice: str,
    message: str,
) -> None:
    voice_id = {"first": voices[0]["id"], "unknown": str(uuid.uuid4())}.get(voice, voice)

    response = await carol.submit(
        "/generations/new", "/generations", {"text": text, "voice_id": voice_id}
    )

    assert response.status_code == 422
    assert is_html(response)
    assert '<p class="alert" role="alert" id="create-error">' in response.text
    assert message in response.text
    assert carol.user is not None
    assert app.count_generations(carol.user.id) == 0


async def test_the_history_and_generation_pages_render(
    alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    history = await alice.get("/generations", headers=BROWSER)
    assert history.status_code == 200
    assert f'href="/generations/{spoken["id"]}"' in history.text
    assert "The Starry Night" in history.text

    page = await alice.get(f"/generations/{spoken['id']}", headers=BROWSER)
    assert page.status_code == 200
    html = page.text
    assert "&lt;b&gt;The Starry Night&lt;/b&gt;" in html
    assert audio_sources(html) == [spoken["audio_url"]]
    assert f'src="{spoken["qr_svg_url"]}"' in html
    assert spoken["playback_url"] in html
    assert "Ready" in html

    not_bobs = await bob.get(f"/generations/{spoken['id']}", headers=BROWSER)
    assert not_bobs.status_code == 404
    assert is_html(not_bobs)
