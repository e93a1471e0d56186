"""The core API flow once more on PostgreSQL: sign in, voices, a generation, its audio,
QR code and playback page, ownership, sign out."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from tests.integration.http_helpers import (
    BROWSER,
    SITE,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
    running_app,
    wait_for_counts,
    wait_until_finished,
)
from voiceqr.settings import Database, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.postgres
async def test_the_core_api_flow_on_postgresql(fresh_postgres: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    async with running_app(settings) as app:
        platform = app.platform
        assert not platform.embedded
        # Only the embedded platform migrates and seeds itself on start.
        app.call(platform.upgrade_database)
        assert app.call(platform.voices.seed, platform.default_voices) == len(
            platform.default_voices
        )
        owner = await app.new_user("owner@example.com")
        stranger = await app.new_user("stranger@example.com")
        assert (await owner.get("/api/v1/me")).json()["email"] == "owner@example.com"

        voices = (await app.anonymous.get("/api/v1/voices")).json()
        assert len(voices) == len(platform.default_voices)
        assert looks_like_mp3(await fetch_audio(app.anonymous, voices[0]["samples"][0]["url"]))

        accepted = await owner.post(
            "/api/v1/generations",
            json={"text": "Hello from Postgres.", "voice_id": voices[0]["id"]},
        )
        assert accepted.status_code == 202, accepted.text
        done = await wait_until_finished(owner, accepted.json()["id"])
        assert done["status"] == "completed", done
        assert done["playback_url"] == f"{SITE}/p/{done['public_code']}"

        audio = await fetch_audio(app.anonymous, done["audio_url"])
        part = await app.anonymous.get(done["audio_url"], headers={"Range": "bytes=0-9"})
        assert part.status_code == 206
        assert part.content == audio[:10]
        png = await owner.get(done["qr_png_url"], params={"size": 300})
        image = Image.open(io.BytesIO(png.content))
        assert image.size == (300, 300)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [f"{done['playback_url']}?s=q"]

        page = await app.anonymous.get(f"/p/{done['public_code']}", headers=BROWSER)
        assert "Hello from Postgres." in page.text
        listen = await app.anonymous.post(f"/api/v1/playback/{done['public_code']}/listen")
        assert listen.status_code == 204
        await wait_for_counts(owner, done["id"], scans=1, listens=1)

        assert_problem(await stranger.get(f"/api/v1/generations/{done['id']}"), 404)
        assert_problem(await stranger.get(done["qr_png_url"]), 404)
        assert_problem(
            await stranger.post(
                "/api/v1/generations", json={"text": " ", "voice_id": voices[0]["id"]}
            ),
            422,
        )
        assert (await stranger.get("/api/v1/generations")).json() == {
            "items": [],
            "next_cursor": None,
        }
        assert stranger.user is not None
        assert app.count_generations(stranger.user.id) == 0

        logout = await owner.post("/api/v1/auth/logout")
        assert logout.status_code == 204
        assert_problem(await owner.get("/api/v1/me"), 401)

        ready = (await app.anonymous.get("/readyz")).json()
        assert ready["checks"] == {"database": "ok", "storage": "ok", "queue": "ok"}
