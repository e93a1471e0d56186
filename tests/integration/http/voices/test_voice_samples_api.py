"""A voice's samples through the JSON API: real MP3, WAV and Ogg files uploaded, checked
and stored as MP3; bad uploads refused with a clear problem and nothing stored."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration import audio_files
from tests.integration.http_helpers import (
    Agent,
    RunningApp,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
)
from voiceqr.entrypoints.http.voices.samples_api import MAX_UPLOAD_BODY

pytestmark = pytest.mark.asyncio(loop_scope="module")

_names = itertools.count(1)


async def new_voice(admin: Agent) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/voices",
        json={"name": f"Sampled {next(_names)}", "provider_voice_id": "en-us", "published": False},
    )
    assert response.status_code == 201, response.text
    voice: dict[str, Any] = response.json()
    return voice


def stored_files(app: RunningApp, voice_id: str) -> list[Path]:
    """What the audio store holds for this voice's samples (local storage: files)."""
    folder = app.platform.settings.data_path / "media" / "samples" / voice_id
    return sorted(folder.rglob("*")) if folder.exists() else []


async def upload(agent: Agent, voice_id: str, *files: tuple[str, bytes, str]) -> httpx.Response:
    return await agent.post(
        f"/api/v1/voices/{voice_id}/samples",
        files=[("files", (name, data, content_type)) for name, data, content_type in files],
    )


async def test_mp3_wav_and_ogg_uploads_become_playable_mp3_samples(
    app: RunningApp, admin: Agent
) -> None:
    voice = await new_voice(admin)
    response = await upload(
        admin,
        voice["id"],
        ("intro.mp3", audio_files.mp3(2.0), "audio/mpeg"),
        ("Warm take.wav", audio_files.wav(3.0), "audio/wav"),
        ("outdoors.ogg", audio_files.ogg(1.5), "audio/ogg"),
    )

    assert response.status_code == 201, response.text
    added = response.json()
    assert [s["label"] for s in added] == ["intro", "Warm take", "outdoors"]
    assert [round(s["duration_ms"] / 500) * 500 for s in added] == [2000, 3000, 1500]
    for sample in added:
        assert looks_like_mp3(await fetch_audio(app.anonymous, sample["url"]))
    shown = (await admin.get(f"/api/v1/voices/{voice['id']}")).json()
    assert [s["url"] for s in shown["samples"]] == [s["url"] for s in added]
    assert [p.name for p in stored_files(app, voice["id"])] == sorted(
        f"{s['id']}.mp3" for s in added
    )


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("notes.mp3", audio_files.TEXT_AS_MP3, 422, "sample_not_audio"),
        ("long.wav", audio_files.ten_minutes_of_silence(), 422, "sample_too_long"),
        ("empty.mp3", b"", 422, "sample_empty"),
        ("blip.wav", audio_files.wav(0.3), 422, "sample_too_short"),
        ("huge.wav", b"RIFF" + bytes(10 * 1024 * 1024), 413, "sample_too_large"),
    ],
    ids=["text-renamed-mp3", "ten-minutes", "zero-bytes", "too-short", "over-10-MB"],
)
async def test_a_bad_file_refuses_the_whole_upload_and_stores_nothing(
    app: RunningApp, admin: Agent, name: str, data: bytes, status: int, code: str
) -> None:
    voice = await new_voice(admin)
    response = await upload(
        admin,
        voice["id"],
        ("good.wav", audio_files.wav(2.0), "audio/wav"),
        (name, data, "audio/mpeg"),
    )

    problem = assert_problem(response, status, code)
    assert name in problem["detail"]
    assert stored_files(app, voice["id"]) == []
    assert (await admin.get(f"/api/v1/voices/{voice['id']}")).json()["samples"] == []


async def test_a_body_over_the_route_limit_is_refused_with_413(
    app: RunningApp, admin: Agent
) -> None:
    voice = await new_voice(admin)
    response = await upload(
        admin, voice["id"], ("big.wav", b"RIFF" + bytes(MAX_UPLOAD_BODY), "audio/wav")
    )
    assert response.status_code == 413, response.text
    assert stored_files(app, voice["id"]) == []


async def test_an_upload_without_files_says_to_choose_one(admin: Agent) -> None:
    voice = await new_voice(admin)
    response = await admin.post(
        f"/api/v1/voices/{voice['id']}/samples", files=[("other", ("a.wav", b"x", "audio/wav"))]
    )
    assert_problem(response, 422, "no_sample_files")


async def test_the_voice_speaks_a_sample_then_samples_are_reordered_and_deleted(
    app: RunningApp, admin: Agent
) -> None:
    voice = await new_voice(admin)
    spoken = await admin.post(
        f"/api/v1/voices/{voice['id']}/samples/spoken",
        json={"text": "Welcome to room four, where the night sky swirls.", "label": "Welcome"},
    )
    assert spoken.status_code == 201, spoken.text
    assert spoken.json()["label"] == "Welcome"
    assert spoken.json()["duration_ms"] >= 1000
    assert looks_like_mp3(await fetch_audio(app.anonymous, spoken.json()["url"]))
    uploaded = await upload(admin, voice["id"], ("b.wav", audio_files.wav(1.2), "audio/wav"))
    first, second = spoken.json()["id"], uploaded.json()[0]["id"]

    order = await admin.request(
        "PUT", f"/api/v1/voices/{voice['id']}/samples/order", json={"ids": [second, first]}
    )
    assert order.status_code == 200, order.text
    assert [s["id"] for s in order.json()] == [second, first]
    relabelled = await admin.patch(
        f"/api/v1/voices/{voice['id']}/samples/{second}", json={"label": "Short one"}
    )
    assert relabelled.json()["label"] == "Short one"
    gone = await admin.delete(f"/api/v1/voices/{voice['id']}/samples/{second}")
    assert gone.status_code == 204, gone.text

    shown = (await admin.get(f"/api/v1/voices/{voice['id']}")).json()
    assert [s["url"].rsplit("/", 1)[-1] for s in shown["samples"]] == [f"{first}.mp3"]
    assert [p.name for p in stored_files(app, voice["id"])] == [f"{first}.mp3"]
    assert_problem(
        await admin.request(
            "PUT", f"/api/v1/voices/{voice['id']}/samples/order", json={"ids": [second]}
        ),
        422,
        "sample_order_mismatch",
    )
    assert_problem(
        await admin.delete(f"/api/v1/voices/{voice['id']}/samples/{second}"),
        404,
        "sample_not_found",
    )


async def test_users_cannot_touch_samples_and_visitors_must_sign_in(
    app: RunningApp, admin: Agent, alice: Agent
) -> None:
    voice = await new_voice(admin)
    added = await upload(admin, voice["id"], ("a.wav", audio_files.wav(1.5), "audio/wav"))
    sample_id = added.json()[0]["id"]
    base = f"/api/v1/voices/{voice['id']}/samples"

    for agent, status in ((alice, 403), (app.anonymous, 401)):
        assert (
            await upload(agent, voice["id"], ("b.wav", audio_files.wav(), "audio/wav"))
        ).status_code == status
        assert (await agent.post(f"{base}/spoken", json={"text": "Hi there"})).status_code == status
        assert (
            await agent.request("PUT", f"{base}/order", json={"ids": [sample_id]})
        ).status_code == status
        assert (await agent.delete(f"{base}/{sample_id}")).status_code == status
    assert len(stored_files(app, voice["id"])) == 1


async def test_an_unknown_voice_is_not_found_and_stores_nothing(
    app: RunningApp, admin: Agent
) -> None:
    missing = "0190aaaa-0000-7000-8000-000000000000"
    assert_problem(
        await upload(admin, missing, ("a.wav", audio_files.wav(), "audio/wav")),
        404,
        "voice_not_found",
    )
    assert stored_files(app, missing) == []


async def test_a_cross_site_upload_with_the_session_cookie_is_refused(admin: Agent) -> None:
    voice = await new_voice(admin)
    response = await admin.post(
        f"/api/v1/voices/{voice['id']}/samples",
        files=[("files", ("a.wav", audio_files.wav(), "audio/wav"))],
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert_problem(response, 403, "cross_site_request")


async def test_other_api_routes_still_take_json_only(admin: Agent) -> None:
    voice = await new_voice(admin)
    response = await admin.post(
        f"/api/v1/voices/{voice['id']}/samples/spoken",
        files=[("text", (None, "Hello there"))],
    )
    assert response.status_code == 415, response.text


async def test_the_upload_is_documented_as_multipart(app: RunningApp) -> None:
    schema = (await app.anonymous.get("/api/v1/schema/openapi.json")).json()
    upload_op = schema["paths"]["/api/v1/voices/{voice_id}/samples"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    assert "/api/v1/voices/{voice_id}/samples/spoken" in schema["paths"]
