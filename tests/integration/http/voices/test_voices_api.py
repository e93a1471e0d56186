"""The voice gallery: published voices with playable samples for everyone, drafts and
changes for admins only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_voice_gallery_lists_published_voices_with_playable_samples(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    assert len(voices) == len(app.platform.default_voices)
    assert all(v["published"] for v in voices)
    priorities = [v["priority"] for v in voices]
    assert priorities == sorted(priorities, reverse=True)
    for voice in voices:
        assert voice["samples"], voice
        for sample in voice["samples"]:
            assert looks_like_mp3(await fetch_audio(app.anonymous, sample["url"]))


async def test_unpublished_voices_are_hidden_from_users_but_visible_to_admins(
    alice: Agent, admin: Agent, unpublished_voice: dict[str, Any]
) -> None:
    voice_id = unpublished_voice["id"]

    seen_by_alice = [v["id"] for v in (await alice.get("/api/v1/voices")).json()]
    seen_by_admin = [v["id"] for v in (await admin.get("/api/v1/voices")).json()]

    assert voice_id not in seen_by_alice
    assert voice_id in seen_by_admin
    assert_problem(await alice.get(f"/api/v1/voices/{voice_id}"), 404, "voice_not_found")
    as_admin = await admin.get(f"/api/v1/voices/{voice_id}")
    assert as_admin.status_code == 200
    assert as_admin.json()["published"] is False


async def test_admin_creates_updates_and_deletes_a_voice(admin: Agent, alice: Agent) -> None:
    created = await admin.post(
        "/api/v1/voices",
        json={
            "name": "Harriet",
            "provider_voice_id": "en-gb",
            "description": "British narration.",
            "region": "United Kingdom",
            "published": False,
            "priority": 5,
        },
    )
    assert created.status_code == 201, created.text
    voice = created.json()
    assert voice["name"] == "Harriet"
    assert voice["provider"] == "espeak"
    assert voice["published"] is False

    updated = await admin.patch(
        f"/api/v1/voices/{voice['id']}", json={"name": "Harriet B.", "published": True}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Harriet B."
    assert updated.json()["published"] is True
    assert updated.json()["region"] == "United Kingdom"  # untouched fields stay
    assert voice["id"] in [v["id"] for v in (await alice.get("/api/v1/voices")).json()]

    deleted = await admin.delete(f"/api/v1/voices/{voice['id']}")
    assert deleted.status_code == 204
    assert_problem(await admin.get(f"/api/v1/voices/{voice['id']}"), 404)
    assert_problem(await admin.delete(f"/api/v1/voices/{voice['id']}"), 404)


async def test_only_admins_manage_voices(
    app: RunningApp, alice: Agent, admin: Agent, voices: list[dict[str, Any]]
) -> None:
    before = (await admin.get("/api/v1/voices")).json()
    voice_id = voices[0]["id"]
    body = {"name": "Sneaky", "provider_voice_id": "en-us"}

    assert_problem(await alice.post("/api/v1/voices", json=body), 403)
    assert_problem(await alice.patch(f"/api/v1/voices/{voice_id}", json={"name": "x"}), 403)
    assert_problem(await alice.delete(f"/api/v1/voices/{voice_id}"), 403)
    assert_problem(await app.anonymous.post("/api/v1/voices", json=body), 401)
    assert_problem(await app.anonymous.delete(f"/api/v1/voices/{voice_id}"), 401)

    assert (await admin.get("/api/v1/voices")).json() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"name": "A", "provider_voice_id": "en", "colour": "red"}, 400, id="unknown"),
        pytest.param({"name": "A", "provider_voice_id": "en", "priority": "high"}, 400, id="type"),
        pytest.param({"name": 7, "provider_voice_id": "en"}, 400, id="name-not-text"),
        pytest.param({"provider_voice_id": "en"}, 400, id="missing-name"),
        pytest.param({"name": "   ", "provider_voice_id": "en"}, 422, id="blank-name"),
        pytest.param({"name": "A", "provider_voice_id": " "}, 422, id="blank-provider-id"),
        pytest.param({"name": "A" * 101, "provider_voice_id": "en"}, 422, id="long-name"),
        pytest.param({"name": "A" * 201, "provider_voice_id": "en"}, 400, id="huge-name"),
        pytest.param(
            {"name": "A", "provider_voice_id": "x", "provider": "nope"}, 422, id="provider"
        ),
        pytest.param([], 400, id="not-an-object"),
    ],
)
async def test_invalid_voice_bodies_are_rejected_and_nothing_is_stored(
    admin: Agent, body: Any, status: int
) -> None:
    before = (await admin.get("/api/v1/voices")).json()

    assert_problem(await admin.post("/api/v1/voices", json=body), status)

    assert (await admin.get("/api/v1/voices")).json() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"colour": "red"}, 400, id="unknown"),
        pytest.param({"published": "yes please"}, 400, id="type"),
        pytest.param({"name": ""}, 422, id="blank-name"),
    ],
)
async def test_invalid_voice_changes_are_rejected_and_nothing_changes(
    admin: Agent, unpublished_voice: dict[str, Any], body: Any, status: int
) -> None:
    url = f"/api/v1/voices/{unpublished_voice['id']}"
    before = (await admin.get(url)).json()

    assert_problem(await admin.patch(url, json=body), status)

    assert (await admin.get(url)).json() == before


async def test_malformed_json_for_a_voice_is_a_400_problem(admin: Agent) -> None:
    before = (await admin.get("/api/v1/voices")).json()

    response = await admin.post(
        "/api/v1/voices", content=b'{"name": "A",', headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400)
    assert (await admin.get("/api/v1/voices")).json() == before
