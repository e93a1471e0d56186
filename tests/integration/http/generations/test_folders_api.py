"""Folders, tags (G4) and search (G5) through the real app: the JSON API and the web
pages on the embedded platform (SQLite, local storage, espeak, in-process worker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from tests.integration.http_helpers import BROWSER, Agent, RunningApp, assert_problem, embedded_app
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-data")) as app:
        yield app


def stored(app: RunningApp, agent: Agent, *texts: str) -> list[str]:
    """Failed generations with these texts, a minute apart, oldest first (no worker)."""
    assert agent.user is not None
    start = datetime.now(UTC) - timedelta(days=1)
    ids = []
    for i, body in enumerate(texts):
        generation = Generation(
            id=uuid7(),
            owner_id=agent.user.id,
            voice_id=uuid7(),
            text=body,
            public_code=new_public_code(),
            created_at=start + timedelta(minutes=i),
            status=GenerationStatus.FAILED,
        )
        app.insert_generation(generation)
        ids.append(str(generation.id))
    return ids


async def listed(agent: Agent, **params: Any) -> list[str]:
    response = await agent.get("/api/v1/generations", params=params)
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


async def test_folders_and_tags_round_trip_through_the_api(app: RunningApp) -> None:
    agent = await app.new_user("filer@example.com")
    [first, second] = stored(app, agent, "Museum entrance", "Museum shop")

    made = await agent.post("/api/v1/folders", json={"name": "  Museum  tours "})
    assert made.status_code == 201
    folder = made.json()
    assert folder["name"] == "Museum tours"
    assert_problem(await agent.post("/api/v1/folders", json={"name": "MUSEUM TOURS"}), 409)
    assert_problem(await agent.post("/api/v1/folders", json={"name": " "}), 422)
    assert_problem(await agent.post("/api/v1/tags", json={"name": "x" * 51}), 422)

    moved = await agent.request(
        "PUT", f"/api/v1/generations/{first}/folder", json={"folder_id": folder["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["folder"] == {"id": folder["id"], "name": "Museum tours"}
    tagged = await agent.request(
        "PUT", f"/api/v1/generations/{first}/tags", json={"tags": ["Kids", "kids"]}
    )
    assert tagged.json() == {"folder": moved.json()["folder"], "tags": ["Kids"]}
    await agent.request("PUT", f"/api/v1/generations/{second}/tags", json={"tags": ["audio"]})

    one = (await agent.get(f"/api/v1/generations/{first}")).json()
    assert (one["folder"]["name"], one["tags"]) == ("Museum tours", ["Kids"])
    folders = (await agent.get("/api/v1/folders")).json()
    assert [(f["name"], f["generations"]) for f in folders] == [("Museum tours", 1)]
    tags = {t["name"]: t["generations"] for t in (await agent.get("/api/v1/tags")).json()}
    assert tags == {"audio": 1, "Kids": 1}

    renamed = await agent.patch(f"/api/v1/folders/{folder['id']}", json={"name": "Tours"})
    assert (renamed.status_code, renamed.json()["generations"]) == (200, 1)
    assert await listed(agent, folder_id=folder["id"]) == ["Museum entrance"]
    assert await listed(agent, q="museum", tag="KIDS") == ["Museum entrance"]
    assert await listed(agent, q="mus") == ["Museum shop", "Museum entrance"]

    assert (await agent.delete(f"/api/v1/folders/{folder['id']}")).status_code == 204
    one = (await agent.get(f"/api/v1/generations/{first}")).json()
    assert (one["folder"], one["tags"]) == (None, ["Kids"])
    kids = next(t for t in (await agent.get("/api/v1/tags")).json() if t["name"] == "Kids")
    assert (await agent.delete(f"/api/v1/tags/{kids['id']}")).status_code == 204
    assert (await agent.get(f"/api/v1/generations/{first}")).json()["tags"] == []
    assert await listed(agent) == ["Museum shop", "Museum entrance"]


async def test_another_users_folders_tags_and_generations_answer_404(app: RunningApp) -> None:
    owner = await app.new_user("owner-g4@example.com")
    stranger = await app.new_user("stranger-g4@example.com")
    [mine] = stored(app, owner, "mine")
    [theirs] = stored(app, stranger, "theirs")
    folder = (await owner.post("/api/v1/folders", json={"name": "Private"})).json()
    tag = (await owner.post("/api/v1/tags", json={"name": "secret"})).json()

    for response in (
        await stranger.patch(f"/api/v1/folders/{folder['id']}", json={"name": "x"}),
        await stranger.delete(f"/api/v1/folders/{folder['id']}"),
        await stranger.delete(f"/api/v1/tags/{tag['id']}"),
        await stranger.request(
            "PUT", f"/api/v1/generations/{theirs}/folder", json={"folder_id": folder["id"]}
        ),
        await stranger.request(
            "PUT", f"/api/v1/generations/{mine}/folder", json={"folder_id": None}
        ),
        await stranger.request("PUT", f"/api/v1/generations/{mine}/tags", json={"tags": ["x"]}),
    ):
        assert_problem(response, 404)
    assert (await stranger.get("/api/v1/folders")).json() == []
    assert await listed(stranger, folder_id=folder["id"]) == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "folder", {"folder_id": "nope"}),
        ("PUT", "folder", {}),
        ("PUT", "tags", {"tags": "kids"}),
        ("PUT", "tags", {"tags": ["x"], "extra": 1}),
    ],
)
async def test_malformed_filing_bodies_are_4xx_problems(
    app: RunningApp, method: str, path: str, body: dict[str, Any]
) -> None:
    agent = await app.new_user(f"bad-{uuid7().hex}@example.com")
    [generation] = stored(app, agent, "x")
    response = await agent.request(method, f"/api/v1/generations/{generation}/{path}", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_too_many_search_words_are_a_422_problem(app: RunningApp) -> None:
    agent = await app.new_user("searcher@example.com")
    response = await agent.get("/api/v1/generations", params={"q": " ".join("abcdefghijklm")})
    assert_problem(response, 422, "search_too_many_words")


async def test_the_web_pages_search_file_and_manage_folders(app: RunningApp) -> None:
    agent = await app.new_user("webfiler@example.com")
    [first, _second] = stored(app, agent, "Dinosaur hall", "Gift shop")

    page = await agent.open_form("/folders")
    assert "No folders yet" in page.text
    assert "No tags yet" in page.text
    created = await agent.post_form("/folders", {"name": "Halls"}, form=page)
    assert created.status_code == 303
    refused = await agent.post_form("/folders", {"name": "halls"}, form=page)
    assert refused.status_code == 409
    assert "already" in refused.text
    folder = (await agent.get("/api/v1/folders")).json()[0]

    detail = await agent.open_form(f"/generations/{first}")
    assert 'id="filing"' in detail.text
    assert "Halls" in detail.text
    filed = await agent.post_form(
        f"/generations/{first}/filing",
        {"folder_id": folder["id"], "tags": "kids, Dinosaurs"},
        form=detail,
    )
    assert filed.status_code == 303
    one = (await agent.get(f"/api/v1/generations/{first}")).json()
    assert (one["folder"]["name"], one["tags"]) == ("Halls", ["Dinosaurs", "kids"])
    too_many = ", ".join(f"t{i}" for i in range(21))
    refused = await agent.post_form(
        f"/generations/{first}/filing", {"folder_id": "", "tags": too_many}, form=detail
    )
    assert refused.status_code == 422
    assert "at most 20 tags" in refused.text
    one = (await agent.get(f"/api/v1/generations/{first}")).json()
    assert one["folder"] is not None  # nothing half-saved

    history = await agent.get(
        "/generations", params={"q": "dino", "folder_id": folder["id"]}, headers=BROWSER
    )
    assert "Dinosaur hall" in history.text
    assert "Gift shop" not in history.text
    empty = await agent.get("/generations", params={"q": "zebra"}, headers=BROWSER)
    assert "No generation matches" in empty.text

    page = await agent.open_form("/folders")
    deleted = await agent.post_form(f"/folders/{folder['id']}/delete", {}, form=page)
    assert deleted.status_code == 303
    assert (await agent.get(f"/api/v1/generations/{first}")).json()["folder"] is None
    assert UUID(first)  # the generation is still there
