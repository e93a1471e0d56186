"""History (G1) and delete (G2) through the real app: JSON API and web pages on the
embedded platform (SQLite, local storage, espeak, in-process worker)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
    is_html,
    wait_until_finished,
)
from voiceqr.adapters.storage.local import LocalAudioStorage
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.errors import NotFound
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-data")) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    return str(response.json()[0]["id"])


def stored_rows(app: RunningApp, owner_id: UUID, voice_id: str, count: int) -> list[Generation]:
    """`count` failed generations, one minute apart, oldest first (no worker involved)."""
    start = datetime.now(UTC) - timedelta(days=1)
    rows = []
    for i in range(count):
        generation = Generation(
            id=uuid7(),
            owner_id=owner_id,
            voice_id=UUID(voice_id),
            text=f"row {i}",
            public_code=new_public_code(),
            created_at=start + timedelta(minutes=i),
            status=GenerationStatus.FAILED,
        )
        app.insert_generation(generation)
        rows.append(generation)
    return rows


async def stored_audio_key(app: RunningApp, generation_id: UUID) -> str | None:
    async with app.uow() as uow:
        generation = await uow.generations.get(generation_id)
    assert generation is not None
    return generation.audio_key


async def ids(agent: Agent, **params: Any) -> tuple[list[str], str | None]:
    response = await agent.get("/api/v1/generations", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["id"] for item in body["items"]], body["next_cursor"]


async def test_paging_is_newest_first_and_stable_while_new_items_arrive(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("pager@example.com")
    assert agent.user is not None
    rows = stored_rows(app, agent.user.id, voice_id, 5)
    newest_first = [str(g.id) for g in reversed(rows)]

    first, cursor = await ids(agent, limit=2)
    assert first == newest_first[:2]
    assert cursor
    made = await agent.post("/api/v1/generations", json={"text": "new", "voice_id": voice_id})
    assert made.status_code == 202
    second, cursor = await ids(agent, limit=2, cursor=cursor)
    third, last = await ids(agent, limit=2, cursor=cursor)
    assert second + third == newest_first[2:]
    assert last is None
    everything, _ = await ids(agent, limit=10)
    assert everything[0] == made.json()["id"]


async def test_filters_combine(app: RunningApp, voice_id: str) -> None:
    agent = await app.new_user("filters@example.com")
    assert agent.user is not None
    rows = stored_rows(app, agent.user.id, voice_id, 3)
    created = [g.created_at.isoformat() for g in rows]

    assert (await ids(agent, status="failed", voice_id=voice_id))[0] == [
        str(g.id) for g in reversed(rows)
    ]
    assert (await ids(agent, status="completed"))[0] == []
    assert (await ids(agent, voice_id=str(uuid7())))[0] == []
    window, _ = await ids(agent, created_from=created[1], created_to=created[2])
    assert window == [str(rows[1].id)]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "finished"},
        {"voice_id": "not-a-uuid"},
        {"created_from": "yesterday"},
        {"limit": "0"},
        {"limit": "201"},
    ],
)
async def test_bad_query_values_are_400_problems(app: RunningApp, params: dict[str, str]) -> None:
    agent = await app.new_user(f"bad-{uuid7().hex}@example.com")
    assert_problem(await agent.get("/api/v1/generations", params=params), 400)


@pytest.mark.parametrize(
    "cursor", ["not a cursor!", base64.urlsafe_b64encode(b"2026-01-01|nope").decode()]
)
async def test_a_cursor_we_did_not_give_out_is_a_422_problem(app: RunningApp, cursor: str) -> None:
    agent = await app.new_user(f"bad-{uuid7().hex}@example.com")
    response = await agent.get("/api/v1/generations", params={"cursor": cursor})
    assert_problem(response, 422, "invalid_cursor")


async def test_an_empty_date_window_is_a_422_problem(app: RunningApp) -> None:
    agent = await app.new_user("window@example.com")
    response = await agent.get(
        "/api/v1/generations",
        params={"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
    )
    assert_problem(response, 422, "bad_date_range")


async def test_delete_removes_the_audio_and_the_public_code_answers_410(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("deleter@example.com")
    stranger = await app.new_user("stranger@example.com")
    made = await owner.post("/api/v1/generations", json={"text": "Goodbye", "voice_id": voice_id})
    done = await wait_until_finished(owner, made.json()["id"])
    assert done["status"] == "completed"
    generation_id = done["id"]
    key = app.call(stored_audio_key, app, UUID(generation_id))
    assert key

    assert_problem(await stranger.delete(f"/api/v1/generations/{generation_id}"), 404)
    response = await owner.delete(f"/api/v1/generations/{generation_id}")
    assert response.status_code == 204

    # The audio files the embedded platform keeps in its data directory.
    files = LocalAudioStorage(app.platform.settings.data_path / "media", url_prefix="/media")
    with pytest.raises(NotFound):
        app.call(files.get, key)
    assert_problem(await owner.get(f"/api/v1/generations/{generation_id}"), 404)
    assert generation_id not in (await ids(owner))[0]
    assert_problem(await owner.delete(f"/api/v1/generations/{generation_id}"), 404)
    page = await app.anonymous.get(f"/p/{done['public_code']}", headers=BROWSER)
    assert page.status_code == 410
    assert is_html(page)
    assert "removed" in page.text
    listen = await app.anonymous.post(f"/api/v1/playback/{done['public_code']}/listen")
    assert_problem(listen, 410, "audio_removed")


async def test_the_web_delete_confirms_then_redirects_to_the_history(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("webdelete@example.com")
    made = await owner.post("/api/v1/generations", json={"text": "Web bye", "voice_id": voice_id})
    generation_id = made.json()["id"]
    await wait_until_finished(owner, generation_id)

    form = await owner.open_form(f"/generations/{generation_id}")
    assert "<details" in form.text
    assert f'action="/generations/{generation_id}/delete"' in form.text
    response = await owner.post_form(f"/generations/{generation_id}/delete", {}, form=form)
    assert response.status_code == 303
    assert response.headers["location"] == "/generations?deleted=1"
    history = await owner.get("/generations?deleted=1", headers=BROWSER)
    assert history.status_code == 200
    assert "was deleted" in history.text
    assert generation_id not in history.text
    # Without the CSRF token the form post is refused.
    other = await owner.post(f"/generations/{generation_id}/delete", headers=BROWSER)
    assert other.status_code == 403


async def test_the_history_page_pages_filters_and_shows_players_and_qr_codes(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("webhistory@example.com")
    assert owner.user is not None
    rows = stored_rows(app, owner.user.id, voice_id, 25)
    made = await owner.post("/api/v1/generations", json={"text": "Playable", "voice_id": voice_id})
    await wait_until_finished(owner, made.json()["id"])

    first = await owner.get("/generations", headers=BROWSER)
    assert first.status_code == 200
    assert "Playable" in first.text
    assert "<audio" in first.text
    assert f"/api/v1/generations/{made.json()['id']}/qr.svg" in first.text
    assert 'rel="next"' in first.text
    older = first.text.split('href="/generations?cursor=')[1].split('"')[0]
    second = await owner.get(f"/generations?cursor={older}", headers=BROWSER)
    assert second.status_code == 200
    assert str(rows[0].id) in second.text
    assert 'rel="next"' not in second.text

    failed = await owner.get(
        "/generations", params={"status": "completed", "voice_id": voice_id}, headers=BROWSER
    )
    assert "Playable" in failed.text
    assert str(rows[0].id) not in failed.text
