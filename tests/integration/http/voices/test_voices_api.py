"""The voice gallery: published voices with playable samples for everyone, drafts and
changes for admins only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import VoiceSample

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def give_sample(app: RunningApp, voice_id: str) -> None:
    """A sample on the voice, as the samples upload will store one."""
    async with app.uow() as uow:
        voice = await uow.voices.get(UUID(voice_id))
        assert voice is not None
        voice.samples = [VoiceSample(id=uuid7(), key=f"samples/{voice_id}/test.mp3")]
        await uow.voices.update(voice)
        await uow.commit()


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


async def test_admin_creates_updates_publishes_and_deletes_a_voice(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    created = await admin.post(
        "/api/v1/voices",
        json={
            "name": "Harriet",
            "provider_voice_id": "en-gb",
            "description": "British narration.",
            "region": "United Kingdom",
            "accent": "British",
            "use_cases": ["narration", "museum-guide"],
            "tags": ["Calm", "calm"],
            "categories": ["Classics"],
            "published": False,
            "priority": 5,
        },
    )
    assert created.status_code == 201, created.text
    voice = created.json()
    assert voice["name"] == "Harriet"
    assert voice["provider"] == "espeak"
    assert voice["published"] is False
    assert (voice["accent"], voice["use_cases"], voice["tags"], voice["categories"]) == (
        "British",
        ["narration", "museum-guide"],
        ["calm"],
        ["classics"],
    )
    assert voice["created_by"]["name"] == voice["updated_by"]["name"] == "Admin"
    assert (voice["uses"], voice["listens"], voice["samples"]) == (0, 0, [])
    url = f"/api/v1/voices/{voice['id']}"

    # No sample yet: it cannot be published.
    refused = assert_problem(await admin.patch(url, json={"published": True}), 422)
    assert refused["code"] == "voice_not_publishable"
    assert "Harriet: it has no sample" in refused["detail"]
    await give_sample(app, voice["id"])

    updated = await admin.patch(url, json={"name": "Harriet B.", "published": True})
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Harriet B."
    assert updated.json()["published"] is True
    assert updated.json()["region"] == "United Kingdom"  # untouched fields stay
    assert len(updated.json()["samples"]) == 1
    assert voice["id"] in [v["id"] for v in (await alice.get("/api/v1/voices")).json()]

    deleted = await admin.delete(url)
    assert deleted.status_code == 200
    assert deleted.json() == {"id": voice["id"], "outcome": "deleted", "generations": 0}
    assert_problem(await admin.get(url), 404)
    assert_problem(await admin.delete(url), 404)


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
        pytest.param({"name": "A" * 101, "provider_voice_id": "en"}, 400, id="long-name"),
        pytest.param({"name": "A" * 201, "provider_voice_id": "en"}, 400, id="huge-name"),
        pytest.param(
            {"name": "A", "provider_voice_id": "en", "language": "x" * 200}, 400, id="language"
        ),
        pytest.param(
            {"name": "A", "provider_voice_id": "en", "region": "x" * 51}, 400, id="region"
        ),
        pytest.param({"name": "A", "provider_voice_id": "en", "age": "x" * 200}, 400, id="age"),
        pytest.param({"name": "A", "provider_voice_id": "en", "style": "x" * 200}, 400, id="style"),
        pytest.param({"name": "A", "provider_voice_id": "en", "priority": 1e30}, 400, id="1e30"),
        pytest.param({"name": "A", "provider_voice_id": "en", "priority": 2**63}, 400, id="2^63"),
        pytest.param(
            {"name": "A", "provider_voice_id": "en", "priority": -1_000_001}, 400, id="too-low"
        ),
        pytest.param(
            {"name": "A", "provider_voice_id": "en", "use_cases": ["karaoke"]}, 400, id="use-case"
        ),
        pytest.param({"name": "A", "provider_voice_id": "en", "tags": ["x" * 31]}, 422, id="tag"),
        pytest.param(
            {"name": "A", "provider_voice_id": "en", "tags": [str(i) for i in range(21)]},
            400,
            id="tags",
        ),
        pytest.param({"name": "A", "provider_voice_id": "en", "tags": [" "]}, 422, id="blank-tag"),
        pytest.param(
            {"name": "A", "provider_voice_id": "en-us", "published": True}, 422, id="no-sample"
        ),
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
        pytest.param({"language": "x" * 200}, 400, id="long-language"),
        pytest.param({"priority": 2**63}, 400, id="huge-priority"),
        pytest.param({"published": True}, 422, id="publish-without-sample"),
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


async def new_voice(admin: Agent, name: str, **fields: Any) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/voices", json={"name": name, "provider_voice_id": "en-gb", **fields}
    )
    assert response.status_code == 201, response.text
    voice: dict[str, Any] = response.json()
    return voice


async def published_voice(app: RunningApp, admin: Agent, name: str, **fields: Any) -> str:
    voice = await new_voice(admin, name, **fields)
    await give_sample(app, voice["id"])
    response = await admin.patch(f"/api/v1/voices/{voice['id']}", json={"published": True})
    assert response.status_code == 200, response.text
    return str(voice["id"])


async def test_users_search_filter_and_sort_the_gallery(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    guide = await published_voice(
        app,
        admin,
        "Zelda Guide",
        description="A hushed MUSEUM voice",
        type="female",
        language="English",
        accent="Hebridean",
        age="old",
        style="hushed",
        use_cases=["museum-guide"],
        tags=["quiet"],
        categories=["heritage"],
    )
    hidden = await new_voice(admin, "Hidden Hebridean", accent="Hebridean")

    async def ids(query: str, agent: Agent = alice) -> list[str]:
        response = await agent.get(f"/api/v1/voices?{query}")
        assert response.status_code == 200, response.text
        return [v["id"] for v in response.json()]

    assert await ids("q=museum") == [guide]
    assert await ids("accent=hebridean") == [guide]  # not the unpublished one
    assert set(await ids("accent=hebridean", admin)) == {guide, hidden["id"]}
    assert await ids("gender=female&age=old&style=hushed&language=en") == [guide]
    assert await ids("use_case=museum-guide&tag=QUIET&category=heritage") == [guide]
    assert await ids("q=museum&gender=male") == []
    names = [v["name"] for v in (await alice.get("/api/v1/voices?sort=name")).json()]
    assert names == sorted(names, key=str.casefold)
    newest = (await alice.get("/api/v1/voices?sort=newest")).json()
    assert newest[0]["id"] == guide
    recommended = (await alice.get("/api/v1/voices?for=museum-guide")).json()
    guides = ["museum-guide" in v["use_cases"] for v in recommended]
    assert guides == sorted(guides, reverse=True)  # the museum guides first
    assert guide in [v["id"] for v in recommended[: sum(guides)]]
    text = "In this gallery of the museum, the painting by the artist shows the sea."
    guessed = (await alice.get("/api/v1/voices", params={"text": text})).json()
    assert [v["id"] for v in guessed] == [v["id"] for v in recommended]


async def test_the_gallery_shows_popularity_and_its_filter_values(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice_id = await published_voice(app, admin, "Popular One", accent="Cornish", tags=["hit"])
    for text in ("One", "Two"):
        made = await alice.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
        assert made.status_code == 202, made.text

    shown = (await alice.get(f"/api/v1/voices/{voice_id}")).json()
    assert (shown["uses"], shown["listens"]) == (2, 0)
    popular = (await alice.get("/api/v1/voices?sort=popular")).json()
    assert popular[0]["uses"] >= 2
    assert [v["uses"] for v in popular] == sorted((v["uses"] for v in popular), reverse=True)

    filters = (await app.anonymous.get("/api/v1/voices/filters")).json()
    assert "Cornish" in filters["accents"]
    assert "hit" in filters["tags"]
    assert "English" in filters["languages"]
    assert set(filters) == {
        "genders",
        "languages",
        "accents",
        "ages",
        "styles",
        "use_cases",
        "tags",
        "categories",
    }


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("sort=loudest", 400),
        ("gender=" + "x" * 51, 400),
        ("q=" + "x" * 201, 400),
        ("for=karaoke", 422),
        ("tag=a%07b", 422),
    ],
)
async def test_bad_gallery_queries_are_refused(alice: Agent, query: str, status: int) -> None:
    assert_problem(await alice.get(f"/api/v1/voices?{query}"), status)


async def test_names_are_unique_per_provider_in_any_case(admin: Agent) -> None:
    first = await new_voice(admin, "Twin Name")

    taken = assert_problem(
        await admin.post("/api/v1/voices", json={"name": "TWIN name", "provider_voice_id": "x"}),
        409,
        "voice_name_taken",
    )
    assert "TWIN name" in taken["detail"]
    other = await new_voice(admin, "Other Name")
    assert_problem(
        await admin.patch(f"/api/v1/voices/{other['id']}", json={"name": "twin NAME"}),
        409,
        "voice_name_taken",
    )
    assert (await admin.get(f"/api/v1/voices/{first['id']}")).json()["name"] == "Twin Name"


async def test_a_voice_in_use_is_unpublished_instead_of_deleted(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice_id = await published_voice(app, admin, "Busy Voice")
    made = await alice.post("/api/v1/generations", json={"text": "Hi", "voice_id": voice_id})
    assert made.status_code == 202, made.text

    usage = await admin.get(f"/api/v1/voices/{voice_id}/usage")
    assert usage.json() == {"generations": 1}
    assert_problem(await alice.get(f"/api/v1/voices/{voice_id}/usage"), 403)

    removed = await admin.delete(f"/api/v1/voices/{voice_id}")

    assert removed.json() == {"id": voice_id, "outcome": "unpublished", "generations": 1}
    assert (await admin.get(f"/api/v1/voices/{voice_id}")).json()["published"] is False
    assert_problem(await alice.get(f"/api/v1/voices/{voice_id}"), 404)
    generation = (await alice.get(f"/api/v1/generations/{made.json()['id']}")).json()
    assert generation["voice_id"] == voice_id


async def test_staff_set_the_display_order(admin: Agent, alice: Agent) -> None:
    everything = [v["id"] for v in (await admin.get("/api/v1/voices?sort=recommended")).json()]
    wanted = list(reversed(everything))

    assert_problem(await alice.request("PUT", "/api/v1/voices/order", json={"ids": wanted}), 403)
    refused = assert_problem(
        await admin.request("PUT", "/api/v1/voices/order", json={"ids": wanted[1:]}),
        422,
        "voice_order_incomplete",
    )
    assert "missing" in refused["detail"]
    assert_problem(await admin.request("PUT", "/api/v1/voices/order", json={"ids": []}), 400)
    assert_problem(await admin.request("PUT", "/api/v1/voices/order", json={"ids": ["nope"]}), 400)

    done = await admin.request("PUT", "/api/v1/voices/order", json={"ids": wanted})

    assert done.status_code == 204, done.text
    after = (await admin.get("/api/v1/voices")).json()
    assert [v["id"] for v in after] == wanted
    assert [v["priority"] for v in after] == sorted((v["priority"] for v in after), reverse=True)


async def test_batch_actions_are_all_or_none(app: RunningApp, admin: Agent, alice: Agent) -> None:
    ready = await new_voice(admin, "Batch Ready")
    await give_sample(app, ready["id"])
    silent = await new_voice(admin, "Batch Silent")
    typo = await new_voice(admin, "Batch Typo", provider_voice_id="en-zz")
    await give_sample(app, typo["id"])
    ids = [ready["id"], silent["id"], typo["id"]]

    refused = assert_problem(
        await admin.post("/api/v1/voices/batch", json={"action": "publish", "ids": ids}),
        422,
        "voice_not_publishable",
    )
    assert "Batch Silent: it has no sample" in refused["detail"]
    assert "'en-zz'" in refused["detail"]
    assert "Batch Ready" not in refused["detail"]
    for voice_id in ids:
        assert (await admin.get(f"/api/v1/voices/{voice_id}")).json()["published"] is False
    assert_problem(
        await alice.post("/api/v1/voices/batch", json={"action": "tag", "ids": ids, "tag": "x"}),
        403,
    )
    assert_problem(
        await admin.post("/api/v1/voices/batch", json={"action": "explode", "ids": ids}), 400
    )

    tagged = await admin.post(
        "/api/v1/voices/batch", json={"action": "tag", "ids": ids, "tag": "Winter"}
    )
    assert tagged.json() == {"action": "tag", "count": 3, "removals": []}
    assert (await admin.get(f"/api/v1/voices/{typo['id']}")).json()["tags"] == ["winter"]
    published = await admin.post(
        "/api/v1/voices/batch", json={"action": "publish", "ids": [ready["id"]]}
    )
    assert published.status_code == 200, published.text
    deleted = await admin.post("/api/v1/voices/batch", json={"action": "delete", "ids": ids})
    assert [r["outcome"] for r in deleted.json()["removals"]] == ["deleted"] * 3
    for voice_id in ids:
        assert_problem(await admin.get(f"/api/v1/voices/{voice_id}"), 404)
