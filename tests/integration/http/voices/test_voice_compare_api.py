"""Comparing voices side by side through the JSON API on PostgreSQL: real previews made
by the in-process worker with espeak, shared by voice and text, limited per user per
day, absent from the history, and deleted with their audio when they expire."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
    running_app,
)
from voiceqr.adapters.database.previews import voice_comparisons, voice_previews
from voiceqr.domain.accounts.users import Role
from voiceqr.settings import Database, Previews, Settings

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.postgres]

TEXT = "Welcome to the museum. The east wing opens at ten."


async def wait_until_done(agent: Agent, comparison_id: str, *, within: float = 60.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        response = await agent.get(f"/api/v1/voices/compare/{comparison_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["done"]:
            return body
        assert time.monotonic() < deadline, f"still not done after {within}s: {body}"
        await asyncio.sleep(0.05)


def count_rows(app: RunningApp, table: Any) -> int:
    async def count() -> int:
        async with app.uow.engine.connect() as connection:
            return int(
                (await connection.execute(select(func.count()).select_from(table))).scalar_one()
            )

    return app.call(count)


async def started(app: RunningApp) -> list[dict[str, Any]]:
    app.call(app.platform.upgrade_database)
    app.call(app.platform.voices.seed, app.platform.default_voices)
    voices: list[dict[str, Any]] = (await app.anonymous.get("/api/v1/voices")).json()
    assert len(voices) >= 4
    return voices


async def test_three_voices_read_one_text_and_a_second_compare_is_instant_for_anyone(
    fresh_postgres: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    async with running_app(settings) as app:
        voices = await started(app)
        alice = await app.new_user("alice@example.com")
        bob = await app.new_user("bob@example.com")
        picked = [v["id"] for v in voices[:3]]

        asked = await alice.post("/api/v1/voices/compare", json={"text": TEXT, "voice_ids": picked})
        assert asked.status_code == 202, asked.text
        body = asked.json()
        assert [p["voice_id"] for p in body["previews"]] == picked
        assert body["new_previews"] == 3

        done = await wait_until_done(alice, body["id"])
        assert [p["status"] for p in done["previews"]] == ["completed"] * 3
        assert [p["voice_name"] for p in done["previews"]] == [v["name"] for v in voices[:3]]
        audio = [await fetch_audio(alice, p["audio_url"]) for p in done["previews"]]
        assert all(looks_like_mp3(a) for a in audio)
        assert len(set(audio)) == 3  # three voices, three readings
        # The preview is no generation: no QR code, no playback page, not in the history.
        assert all("/p/" not in p["audio_url"] for p in done["previews"])
        assert app.count_generations(alice.user.id) == 0  # type: ignore[union-attr]
        assert (await alice.get("/api/v1/generations")).json()["items"] == []

        again = await bob.post(
            "/api/v1/voices/compare", json={"text": f"  {TEXT}  ", "voice_ids": picked[::-1]}
        )
        assert again.status_code == 200, again.text
        assert again.json()["done"] is True
        assert again.json()["new_previews"] == 0
        assert {p["audio_url"] for p in again.json()["previews"]} == {
            p["audio_url"] for p in done["previews"]
        }
        assert count_rows(app, voice_previews) == 3

        # Each comparison is its owner's.
        assert_problem(await bob.get(f"/api/v1/voices/compare/{body['id']}"), 404)
        assert_problem(await app.anonymous.get(f"/api/v1/voices/compare/{body['id']}"), 401)

        # An edited voice is read again: its earlier previews are no answer any more.
        admin = await app.new_user("admin@example.com", role=Role.ADMIN)
        edited = await admin.patch(
            f"/api/v1/voices/{picked[0]}", json={"description": "Reads museum labels."}
        )
        assert edited.status_code == 200, edited.text
        changed = await bob.post("/api/v1/voices/compare", json={"text": TEXT, "voice_ids": picked})
        assert changed.status_code == 202, changed.text
        assert changed.json()["new_previews"] == 1


async def test_bad_compares_are_refused_and_the_day_has_a_limit(
    fresh_postgres: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=str(tmp_path),
        database=Database(url=fresh_postgres),
        previews=Previews(per_user_per_day=4),
    )
    async with running_app(settings) as app:
        voices = await started(app)
        ids = [v["id"] for v in voices]
        carol = await app.new_user("carol@example.com")
        admin = await app.new_user("admin@example.com", role=Role.ADMIN)
        draft = await admin.post(
            "/api/v1/voices",
            json={"name": "Draft voice", "provider_voice_id": "en-gb", "published": False},
        )
        assert draft.status_code == 201, draft.text

        for bad in (
            {"text": TEXT, "voice_ids": ids[:1]},
            {"text": TEXT, "voice_ids": [*ids[:4], ids[0]]},
            {"text": "x" * 301, "voice_ids": ids[:2]},
            {"text": TEXT, "voice_ids": ids[:2], "extra": 1},
            {"text": TEXT, "voice_ids": ["not-a-uuid", ids[0]]},
        ):
            assert_problem(await carol.post("/api/v1/voices/compare", json=bad), 400)
        assert_problem(
            await carol.post("/api/v1/voices/compare", json={"text": " ", "voice_ids": ids[:2]}),
            422,
            "text_blank",
        )
        assert_problem(
            await carol.post(
                "/api/v1/voices/compare", json={"text": TEXT, "voice_ids": [ids[0], ids[0]]}
            ),
            422,
            "duplicate_voices",
        )
        assert_problem(
            await carol.post(
                "/api/v1/voices/compare",
                json={"text": TEXT, "voice_ids": [ids[0], draft.json()["id"]]},
            ),
            404,
            "voice_not_found",
        )
        assert count_rows(app, voice_previews) == 0
        assert count_rows(app, voice_comparisons) == 0

        first = await carol.post(
            "/api/v1/voices/compare", json={"text": TEXT, "voice_ids": ids[:3]}
        )
        assert first.status_code == 202, first.text
        over = await carol.post(
            "/api/v1/voices/compare", json={"text": "Another text.", "voice_ids": ids[:2]}
        )
        body = assert_problem(over, 429, "preview_limit_reached")
        assert "4 new previews" in body["detail"]
        assert 23 * 3600 < int(over.headers["Retry-After"]) <= 24 * 3600 + 1
        # Texts and voices compared before cost nothing, even at the limit.
        await wait_until_done(carol, first.json()["id"])
        cached = await carol.post(
            "/api/v1/voices/compare", json={"text": TEXT, "voice_ids": ids[1:3]}
        )
        assert cached.status_code == 200, cached.text
        one_more = await carol.post(
            "/api/v1/voices/compare", json={"text": TEXT, "voice_ids": ids[2:4]}
        )
        assert one_more.status_code == 202, one_more.text  # the 4th of 4
        assert count_rows(app, voice_previews) == 4


async def test_the_expiry_job_deletes_expired_previews_and_their_audio(
    fresh_postgres: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    async with running_app(settings) as app:
        voices = await started(app)
        dan = await app.new_user("dan@example.com")
        asked = await dan.post(
            "/api/v1/voices/compare",
            json={"text": TEXT, "voice_ids": [v["id"] for v in voices[:2]]},
        )
        done = await wait_until_done(dan, asked.json()["id"])
        urls = [p["audio_url"] for p in done["previews"]]
        for url in urls:
            assert looks_like_mp3(await fetch_audio(dan, url))

        async def expire_now() -> None:
            async with app.uow.engine.begin() as connection:
                for table in (voice_previews, voice_comparisons):
                    await connection.execute(
                        update(table).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
                    )

        app.call(expire_now)  # as if the week had passed
        assert app.call(app.platform.generations.previews.expire) == 2

        assert count_rows(app, voice_previews) == 0
        assert count_rows(app, voice_comparisons) == 0
        for url in urls:
            assert (await dan.get(url)).status_code == 404
        assert_problem(await dan.get(f"/api/v1/voices/compare/{done['id']}"), 404)
