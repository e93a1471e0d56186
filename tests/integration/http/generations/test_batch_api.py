"""Batch actions and the "download all" archive (G6) through the real embedded app
(SQLite, local storage, espeak, in-process worker)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
    looks_like_mp3,
    wait_until_finished,
)
from voiceqr.application.generations.batch import INDEX_COLUMNS
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-batch")) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    return str((await app.anonymous.get("/api/v1/voices")).json()[0]["id"])


async def made(agent: Agent, voice_id: str, text: str) -> dict[str, object]:
    response = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert response.status_code == 202, response.text
    return await wait_until_finished(agent, str(response.json()["id"]))


def failed_row(app: RunningApp, owner_id: UUID, voice_id: str, text: str) -> Generation:
    generation = Generation(
        id=uuid7(),
        owner_id=owner_id,
        voice_id=UUID(voice_id),
        text=text,
        public_code=new_public_code(),
        created_at=datetime.now(UTC) - timedelta(hours=1),
        status=GenerationStatus.FAILED,
    )
    app.insert_generation(generation)
    return generation


async def listed(agent: Agent) -> set[str]:
    response = await agent.get("/api/v1/generations", params={"limit": 200})
    assert response.status_code == 200
    return {item["id"] for item in response.json()["items"]}


async def test_batch_delete_by_ids_removes_audio_and_stops_the_codes(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("batch-ids@example.com")
    first = await made(agent, voice_id, "first of two")
    second = await made(agent, voice_id, "second of two")
    kept = await made(agent, voice_id, "this one stays")

    response = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "delete", "ids": [first["id"], second["id"]]},
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"action": "delete", "count": 2}
    assert await listed(agent) == {kept["id"]}
    for gone in (first, second):
        playback = await app.anonymous.get(f"/p/{gone['public_code']}")
        assert playback.status_code == 410
    assert (await app.anonymous.get(f"/p/{kept['public_code']}")).status_code == 200


async def test_an_unknown_or_foreign_id_changes_nothing(app: RunningApp, voice_id: str) -> None:
    owner = await app.new_user("batch-owner@example.com")
    stranger = await app.new_user("batch-stranger@example.com")
    assert owner.user is not None
    assert stranger.user is not None
    mine = failed_row(app, owner.user.id, voice_id, "mine")
    theirs = failed_row(app, stranger.user.id, voice_id, "theirs")

    for ids in ([str(mine.id), str(theirs.id)], [str(mine.id), str(uuid7())]):
        response = await owner.post(
            "/api/v1/generations/batch", json={"action": "delete", "ids": ids}
        )
        assert_problem(response, 404, "generation_not_found")

    assert await listed(owner) == {str(mine.id)}
    assert await listed(stranger) == {str(theirs.id)}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"action": "delete"}, 422),  # neither ids nor filter
        ({"action": "delete", "ids": []}, 422),
        ({"action": "delete", "ids": [], "filter": {}}, 422),  # both: which one?
        ({"action": "explode", "ids": []}, 400),
        ({"action": "delete", "filter": {"status": "sleeping"}}, 400),
        ({"action": "delete", "filter": {"colour": "red"}}, 400),
    ],
)
async def test_bad_batch_requests_are_refused(
    app: RunningApp, body: dict[str, object], status: int
) -> None:
    agent = await app.new_user(f"batch-bad-{uuid7().hex[-12:]}@example.com")
    assert (await agent.post("/api/v1/generations/batch", json=body)).status_code == status


async def test_too_many_ids_are_refused(app: RunningApp) -> None:
    agent = await app.new_user("batch-many@example.com")
    response = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "delete", "ids": [str(uuid7()) for _ in range(501)]},
    )
    assert_problem(response, 422, "too_many_ids")


async def test_batch_delete_by_filter_takes_every_match_and_only_those(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("batch-filter@example.com")
    assert agent.user is not None
    failed = [failed_row(app, agent.user.id, voice_id, f"failed {i}") for i in range(3)]
    completed = await made(agent, voice_id, "a completed one")

    response = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "delete", "filter": {"status": "failed"}},
    )

    assert response.json() == {"action": "delete", "count": len(failed)}
    assert await listed(agent) == {completed["id"]}


async def test_download_all_streams_a_zip_of_mp3s_qr_pngs_and_an_index(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("batch-zip@example.com")
    assert agent.user is not None
    spoken = await made(agent, voice_id, 'Ünïcode and, commas "quoted"')
    failed = failed_row(app, agent.user.id, voice_id, "never spoken")
    other = await app.new_user("batch-zip-other@example.com")
    await made(other, voice_id, "someone else's")

    response = await agent.get("/api/v1/generations/export.zip")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="voiceqr-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[-1] == "index.csv"
    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8"))))
    assert tuple(rows[0]) == INDEX_COLUMNS
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {spoken["id"], str(failed.id)}
    spoken_row = by_id[str(spoken["id"])]
    assert spoken_row["text"] == 'Ünïcode and, commas "quoted"'
    assert spoken_row["playback_url"].endswith(f"/p/{spoken['public_code']}")
    assert spoken_row["status"] == "completed"
    audio = archive.read(spoken_row["audio_file"])
    assert looks_like_mp3(audio)
    assert audio == (await agent.get(str(spoken["audio_url"]))).content
    assert archive.read(spoken_row["qr_file"]).startswith(b"\x89PNG")
    assert by_id[str(failed.id)]["audio_file"] == ""  # nothing was spoken
    assert by_id[str(failed.id)]["qr_file"] == ""  # so there is no code to print
    assert len(names) == 3  # one QR code, one MP3, the index


async def test_download_all_takes_the_history_filters(app: RunningApp, voice_id: str) -> None:
    agent = await app.new_user("batch-zip-filter@example.com")
    assert agent.user is not None
    failed_row(app, agent.user.id, voice_id, "failed")
    spoken = await made(agent, voice_id, "completed")

    response = await agent.get("/api/v1/generations/export.zip", params={"status": "completed"})

    index = zipfile.ZipFile(io.BytesIO(response.content)).read("index.csv").decode()
    assert [row["id"] for row in csv.DictReader(io.StringIO(index))] == [spoken["id"]]


async def test_an_empty_download_has_just_the_header_row(app: RunningApp) -> None:
    agent = await app.new_user("batch-zip-empty@example.com")
    response = await agent.get("/api/v1/generations/export.zip")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == ["index.csv"]
    assert archive.read("index.csv").decode().strip() == ",".join(INDEX_COLUMNS)


async def test_a_bad_filter_is_refused_before_any_download(app: RunningApp) -> None:
    agent = await app.new_user("batch-zip-bad@example.com")
    response = await agent.get(
        "/api/v1/generations/export.zip",
        params={"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
    )
    assert_problem(response, 422, "bad_date_range")
    assert (await app.anonymous.get("/api/v1/generations/export.zip")).status_code == 401


async def test_batch_move_tag_and_untag_then_export_by_tag(app: RunningApp, voice_id: str) -> None:
    agent = await app.new_user("batch-file@example.com")
    assert agent.user is not None
    rows = [failed_row(app, agent.user.id, voice_id, f"note {i}") for i in range(3)]
    folder = (await agent.post("/api/v1/folders", json={"name": "Museum"})).json()
    picked = [str(rows[0].id), str(rows[1].id)]

    moved = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "move", "ids": picked, "folder_id": folder["id"]},
    )
    tagged = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "tag", "filter": {"folder_id": folder["id"]}, "tags": ["Hall A", "draft"]},
    )
    untagged = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "untag", "ids": [picked[0]], "tags": ["DRAFT"]},
    )

    assert moved.json() == {"action": "move", "count": 2}
    assert tagged.json() == {"action": "tag", "count": 2}
    assert untagged.json() == {"action": "untag", "count": 1}
    items = {item["id"]: item for item in (await agent.get("/api/v1/generations")).json()["items"]}
    assert items[picked[0]]["folder"]["name"] == "Museum"
    assert sorted(items[picked[0]]["tags"]) == ["Hall A"]
    assert sorted(items[picked[1]]["tags"]) == ["Hall A", "draft"]
    assert items[str(rows[2].id)]["folder"] is None
    assert items[str(rows[2].id)]["tags"] == []

    response = await agent.get("/api/v1/generations/export.zip", params={"tag": "draft"})
    index = zipfile.ZipFile(io.BytesIO(response.content)).read("index.csv").decode()
    (only,) = csv.DictReader(io.StringIO(index))
    assert only["id"] == picked[1]
    assert only["folder"] == "Museum"
    assert sorted(only["tags"].split("; ")) == ["Hall A", "draft"]


async def test_batch_filing_refuses_a_foreign_folder_and_missing_tags(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("batch-file-owner@example.com")
    stranger = await app.new_user("batch-file-stranger@example.com")
    assert owner.user is not None
    mine = failed_row(app, owner.user.id, voice_id, "mine")
    their_folder = (await stranger.post("/api/v1/folders", json={"name": "Theirs"})).json()

    moved = await owner.post(
        "/api/v1/generations/batch",
        json={"action": "move", "ids": [str(mine.id)], "folder_id": their_folder["id"]},
    )
    assert_problem(moved, 404, "folder_not_found")
    no_tags = await owner.post(
        "/api/v1/generations/batch", json={"action": "tag", "ids": [str(mine.id)], "tags": [" "]}
    )
    assert_problem(no_tags, 422, "tags_missing")
    (item,) = (await owner.get("/api/v1/generations")).json()["items"]
    assert item["folder"] is None
    assert item["tags"] == []


async def test_the_history_form_asks_before_a_batch_delete(app: RunningApp, voice_id: str) -> None:
    agent = await app.new_user("batch-web@example.com")
    assert agent.user is not None
    rows = [failed_row(app, agent.user.id, voice_id, f"web note {i}") for i in range(3)]
    page = await agent.open_form("/generations")
    picked = {"action": "delete", "ids": [str(rows[0].id), str(rows[1].id)]}

    review = await agent.post_form("/generations/batch", picked, form=page)  # type: ignore[arg-type]

    assert review.status_code == 200
    assert "Delete 2 generations?" in review.text
    assert "web note 0" in review.text
    assert len(await listed(agent)) == 3  # nothing is gone before the yes
    done = await agent.post_form("/generations/batch/delete", picked, form=review)  # type: ignore[arg-type]
    assert done.status_code == 303
    assert done.headers["location"] == "/generations?batch=delete&count=2"
    assert await listed(agent) == {str(rows[2].id)}
    notice = await agent.get(done.headers["location"])
    assert "2 generations deleted." in notice.text


async def test_the_history_form_moves_every_match_of_its_filters(
    app: RunningApp, voice_id: str
) -> None:
    agent = await app.new_user("batch-web-move@example.com")
    assert agent.user is not None
    for i in range(3):
        failed_row(app, agent.user.id, voice_id, f"gallery label {i}")
    failed_row(app, agent.user.id, voice_id, "something else")
    folder = (await agent.post("/api/v1/folders", json={"name": "Gallery"})).json()
    page = await agent.open_form("/generations?q=gallery")

    moved = await agent.post_form(
        "/generations/batch",
        {"action": "move", "everything": "1", "filter_q": "gallery", "folder_id": folder["id"]},
        form=page,
    )

    assert moved.status_code == 303
    assert moved.headers["location"] == "/generations?q=gallery&batch=move&count=3"
    filed = await agent.get("/api/v1/generations", params={"folder_id": folder["id"]})
    assert sorted(i["text"] for i in filed.json()["items"]) == [
        f"gallery label {i}" for i in range(3)
    ]


async def test_the_history_form_with_nothing_ticked_says_so(app: RunningApp) -> None:
    agent = await app.new_user("batch-web-none@example.com")
    page = await agent.open_form("/generations")
    response = await agent.post_form("/generations/batch", {"action": "delete"}, form=page)
    assert response.headers["location"] == "/generations?batch=none"
    assert "Tick at least one generation" in (await agent.get("/generations?batch=none")).text


async def test_the_history_form_refuses_foreign_or_malformed_ids(
    app: RunningApp, voice_id: str
) -> None:
    owner = await app.new_user("batch-web-foreign@example.com")
    stranger = await app.new_user("batch-web-stranger@example.com")
    assert stranger.user is not None
    theirs = failed_row(app, stranger.user.id, voice_id, "theirs")
    page = await owner.open_form("/generations")

    foreign = await owner.post_form(
        "/generations/batch/delete", {"action": "delete", "ids": str(theirs.id)}, form=page
    )
    malformed = await owner.post_form(
        "/generations/batch", {"action": "delete", "ids": "not-an-id"}, form=page
    )

    assert foreign.status_code == 404
    assert malformed.status_code == 422
    assert await listed(stranger) == {str(theirs.id)}
