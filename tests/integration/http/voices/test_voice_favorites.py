"""Favorites over HTTP: a signed-in person stars and unstars voices, as often as they
like; a visitor is asked to sign in, and a voice they cannot see cannot be starred."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.http_helpers import Agent, RunningApp, assert_problem

pytestmark = pytest.mark.asyncio(loop_scope="module")


def favorite_url(voice_id: str) -> str:
    return f"/api/v1/voices/{voice_id}/favorite"


async def starred(agent: Agent) -> list[str]:
    response = await agent.get("/api/v1/voices/favorites")
    assert response.status_code == 200, response.text
    ids: list[str] = response.json()["voice_ids"]
    return ids


async def test_starring_twice_keeps_one_star_and_unstarring_twice_is_fine(
    alice: Agent, bob: Agent, voices: list[dict[str, Any]]
) -> None:
    first, second = voices[0]["id"], voices[1]["id"]
    for _ in range(2):
        response = await alice.post(favorite_url(first))
        assert response.status_code == 204, response.text
    assert (await alice.post(favorite_url(second))).status_code == 204

    assert await starred(alice) == [second, first]  # the most recently starred first
    assert second not in await starred(bob)  # each person's own
    engagement = (await alice.get(f"/api/v1/voices/{first}/engagement")).json()
    assert engagement["favorite"] is True
    assert (await bob.get(f"/api/v1/voices/{first}/engagement")).json()["favorite"] is False

    for _ in range(2):
        assert (await alice.delete(favorite_url(second))).status_code == 204
    assert await starred(alice) == [first]


async def test_visitors_must_sign_in_to_star(app: RunningApp, voices: list[dict[str, Any]]) -> None:
    voice_id = voices[0]["id"]
    assert_problem(await app.anonymous.post(favorite_url(voice_id)), 401)
    assert_problem(await app.anonymous.delete(favorite_url(voice_id)), 401)
    assert_problem(await app.anonymous.get("/api/v1/voices/favorites"), 401)
    # The rating on a card is public; a visitor's star is always off.
    card = await app.anonymous.get(f"/api/v1/voices/{voice_id}/engagement")
    assert card.status_code == 200, card.text
    assert card.json()["favorite"] is False


async def test_unknown_and_unpublished_voices_cannot_be_starred(
    carol: Agent, admin: Agent, unpublished_voice: dict[str, Any]
) -> None:
    unknown = "00000000-0000-7000-8000-000000000000"
    assert_problem(await carol.post(favorite_url(unknown)), 404, "voice_not_found")
    assert_problem(await carol.post(favorite_url(unpublished_voice["id"])), 404, "voice_not_found")
    assert_problem(await carol.post("/api/v1/voices/not-a-uuid/favorite"), 404)
    assert await starred(carol) == []
    # Those who manage voices see unpublished ones, and may star them.
    assert (await admin.post(favorite_url(unpublished_voice["id"]))).status_code == 204
    assert unpublished_voice["id"] in await starred(admin)
