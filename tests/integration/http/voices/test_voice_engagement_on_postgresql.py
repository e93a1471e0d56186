"""Favorites and reviews once more over HTTP on PostgreSQL: audio made by the worker makes
its owner a reviewer; stars, one editable review, a moderator's hiding."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.http_helpers import assert_problem, running_app, wait_until_finished
from voiceqr.domain.accounts.users import Role
from voiceqr.settings import Database, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.postgres
async def test_favorites_and_reviews_on_postgresql(fresh_postgres: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    async with running_app(settings) as app:
        platform = app.platform
        app.call(platform.upgrade_database)
        app.call(platform.voices.seed, platform.default_voices)
        owner = await app.new_user("owner@example.com")
        stranger = await app.new_user("stranger@example.com")
        moderator = await app.new_user("moderator@example.com", role=Role.MODERATOR)
        voice_id = (await app.anonymous.get("/api/v1/voices")).json()[0]["id"]
        review = f"/api/v1/voices/{voice_id}/review"

        for _ in range(2):
            assert (await owner.post(f"/api/v1/voices/{voice_id}/favorite")).status_code == 204
        assert (await owner.get("/api/v1/voices/favorites")).json() == {"voice_ids": [voice_id]}

        assert_problem(
            await owner.request("PUT", review, json={"rating": 5}), 403, "voice_not_used"
        )
        accepted = await owner.post(
            "/api/v1/generations", json={"text": "Hello from Postgres.", "voice_id": voice_id}
        )
        assert accepted.status_code == 202, accepted.text
        assert (await wait_until_finished(owner, accepted.json()["id"]))["status"] == "completed"

        written = await owner.request("PUT", review, json={"rating": 2, "text": " Fast. "})
        assert written.status_code == 201, written.text
        edited = await owner.request("PUT", review, json={"rating": 4, "text": "Fine."})
        assert edited.status_code == 200, edited.text
        assert edited.json()["id"] == written.json()["id"]
        assert edited.json()["created_at"] == written.json()["created_at"]
        assert_problem(await stranger.request("PUT", review, json={"rating": 1}), 403)

        card = (await stranger.get(f"/api/v1/voices/{voice_id}/engagement")).json()
        assert (card["rating_average"], card["rating_count"], card["favorite"]) == (4.0, 1, False)
        hidden = await moderator.request(
            "PUT",
            f"/api/v1/voices/{voice_id}/reviews/{edited.json()['id']}/hidden",
            json={"hidden": True, "reason": "Checking"},
        )
        assert hidden.status_code == 200, hidden.text
        assert (await stranger.get(f"/api/v1/voices/{voice_id}/reviews")).json()["items"] == []
        card = (await stranger.get(f"/api/v1/voices/{voice_id}/engagement")).json()
        assert (card["rating_average"], card["rating_count"]) == (None, 0)
