"""The create page's compact voice picker: favorites and recent voices in a short list,
the voice picked in the gallery chosen with the draft kept, and staff told which voices
are unpublished."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus

import pytest

from tests.integration.http_helpers import BROWSER, Agent, RunningApp

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def create_page(agent: Agent, query: str = "") -> str:
    response = await agent.get(f"/generations/new{query}", headers=BROWSER)
    assert response.status_code == 200, response.text
    return response.text


async def test_favorites_are_listed_and_marked(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    dora = await app.new_user("dora@example.com")
    last = voices[-1]
    assert (await dora.post(f"/api/v1/voices/{last['id']}/favorite")).status_code == 204

    html = await create_page(dora)

    assert f'type="radio" name="voice_id" value="{last["id"]}"' in html
    label = html[html.index(f'value="{last["id"]}"') :]
    label = label[: label.index("</label>")]
    assert '<span class="badge favorite">Favorite</span>' in label
    assert "Your favorites and recent voices" in html
    # Another person's favorite is not theirs.
    other = await create_page(await app.new_user("eve@example.com"))
    assert f'value="{last["id"]}"' not in other


async def test_the_voice_picked_in_the_gallery_is_chosen_and_the_draft_kept(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    finn = await app.new_user("finn@example.com")
    draft = {"text": "Welcome to the museum of dragons.", "voice_id": voices[0]["id"]}
    assert (await finn.request("PUT", "/api/v1/me/draft", json=draft)).status_code == 200
    picked = voices[-2]

    html = await create_page(finn, f"?voice_id={picked['id']}")

    assert f'value="{picked["id"]}" checked' in html
    assert f'id="chosen-name">{picked["name"]}</strong>' in html
    assert "Welcome to the museum of dragons.</textarea>" in html
    assert f'href="/voices?pick=1&amp;text={quote_plus(draft["text"])}"' in html
    # Without a pick the draft's own voice comes back.
    assert f'value="{voices[0]["id"]}" checked' in await create_page(finn)


async def test_an_unknown_or_malformed_voice_falls_back_to_the_default(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    for value in ("00000000-0000-7000-8000-000000000000", "not-a-voice"):
        html = await create_page(alice, f"?voice_id={value}")
        assert f'value="{voices[0]["id"]}" checked' in html


async def test_staff_see_an_unpublished_voice_marked_and_users_cannot_pick_it(
    admin: Agent, alice: Agent, unpublished_voice: dict[str, Any]
) -> None:
    voice_id = unpublished_voice["id"]
    html = await create_page(admin, f"?voice_id={voice_id}")
    assert f'value="{voice_id}" checked' in html
    label = html[html.index(f'value="{voice_id}"') :]
    assert '<span class="badge unpublished">Unpublished</span>' in label[: label.index("</label>")]
    assert re.search(r'id="chosen-unpublished"\s*>Unpublished', html)  # shown, not hidden
    assert voice_id not in await create_page(alice, f"?voice_id={voice_id}")
