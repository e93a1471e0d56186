"""The owner's archive over HTTP: asked for on the profile or the API, built by the
in-process worker, downloaded as a ZIP holding the documented JSON, the MP3s and the QR
codes; another user's is 404, and after seven days the link answers 410."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zipfile
from collections.abc import AsyncIterator
from typing import Any

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
from tests.unit.fakes.clock import FakeClock

pytestmark = pytest.mark.asyncio(loop_scope="module")

DOCUMENTED_KEYS = {
    "schema_version",
    "exported_at",
    "account",
    "preferences",
    "notification_settings",
    "notices",
    "sessions",
    "login_activity",
    "api_keys",
    "social_identities",
    "folders",
    "tags",
    "generations",
    "terms_accepted",
    "support_tickets",
}


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(
    tmp_path_factory: pytest.TempPathFactory, clock: FakeClock
) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-export"), clock=clock) as running:
        yield running


async def _ready(agent: Agent, export_id: str, *, within: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        response = await agent.get(f"/api/v1/me/exports/{export_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] != "pending":
            return body
        assert time.monotonic() < deadline, body
        await asyncio.sleep(0.05)


async def test_the_archive_holds_the_documented_json_every_mp3_and_qr_code(
    app: RunningApp, voices: list[dict[str, Any]], bob: Agent, clock: FakeClock
) -> None:
    owner = await app.new_user("exporter@example.com")
    made = []
    for text in ("First room.", "Second room."):
        response = await owner.post(
            "/api/v1/generations", json={"text": text, "voice_id": voices[0]["id"]}
        )
        assert response.status_code == 202, response.text
        made.append(await wait_until_finished(owner, response.json()["id"]))
    key = await owner.post("/api/v1/me/api-keys", json={"name": "laptop", "scopes": ["read"]})

    profile = await owner.open_form("/profile")
    assert "You have not asked for an archive yet." in profile.text
    asked = await owner.post_form("/profile/exports", {}, form=profile)
    assert asked.status_code == 303
    export_id = await _latest(app, owner)
    body = await _ready(owner, export_id)
    assert body["status"] == "ready", body
    assert body["download_url"] == f"/profile/exports/{export_id}/download"

    download = await owner.get(body["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = set(archive.namelist())
    document = json.loads(archive.read("account.json"))
    assert set(document) == DOCUMENTED_KEYS
    assert document["account"]["email"] == "exporter@example.com"
    assert "password_hash" not in json.dumps(document)
    assert key.status_code == 201, key.text
    assert [k["name"] for k in document["api_keys"]] == ["laptop"]
    assert key.json()["key"] not in json.dumps(document)  # never a secret
    assert document["sessions"]  # signed in through the API, then the profile page
    codes = {g["public_code"] for g in document["generations"]}
    assert codes == {g["public_code"] for g in made}
    # Each carries its title: here none was given, so the first words of the text.
    assert {g["title"] for g in document["generations"]} == {"First room.", "Second room."}
    for generation in document["generations"]:
        (revision,) = generation["revisions"]
        assert revision["audio_file"] in names
        assert looks_like_mp3(archive.read(revision["audio_file"]))
        assert archive.read(generation["qr_file"]).lstrip().startswith(b"<")
    assert "README.md" in names
    readme = archive.read("README.md").decode()
    assert all(f"`{key}`" in readme for key in DOCUMENTED_KEYS)

    assert_problem(await bob.get(f"/api/v1/me/exports/{export_id}"), 404)
    assert (await bob.get(body["download_url"])).status_code == 404
    assert (await app.anonymous.get(body["download_url"])).status_code in (401, 302, 303)

    clock.advance(days=7, seconds=1)
    owner = await app.sign_in("exporter@example.com")  # the old session ended long ago
    expired = await owner.get(body["download_url"])
    assert expired.status_code == 410
    listed = await owner.get("/profile")
    assert f"/profile/exports/{export_id}/download" not in listed.text
    assert "expired" in expired.text
    assert (await owner.get(f"/api/v1/me/exports/{export_id}")).json()["download_url"] is None


async def _latest(app: RunningApp, agent: Agent) -> str:
    assert agent.user is not None
    exports = app.call(app.platform.account_exports.list_for, agent.user)
    return str(exports[0].id)


async def test_the_api_asks_once_at_a_time(app: RunningApp) -> None:
    owner = await app.new_user("twice@example.com")
    first = await owner.post("/api/v1/me/exports")
    assert first.status_code == 202, first.text
    second = await owner.post("/api/v1/me/exports")
    if second.status_code == 409:
        assert_problem(second, 409, "export_in_progress")
    else:  # the worker was quicker than the second request
        assert second.status_code == 202
    assert (await app.anonymous.post("/api/v1/me/exports")).status_code == 401
