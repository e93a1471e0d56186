"""Generations through the JSON API: accepted, spoken, owned; their QR codes; and the
bad requests that create nothing (carol only ever sends those)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.integration.http_helpers import (
    ESPEAK_MAX_CHARS,
    Agent,
    RunningApp,
    assert_problem,
    fetch_audio,
    looks_like_mp3,
    wait_until_finished,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_generation_is_accepted_then_completes_with_playback_audio_and_qr_links(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.post(
        "/api/v1/generations",
        json={"text": "  Welcome to the museum.  ", "voice_id": voices[0]["id"]},
    )

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "pending"
    assert accepted["text"] == "Welcome to the museum."
    uuid.UUID(accepted["id"])

    done = await wait_until_finished(alice, accepted["id"])

    assert done["status"] == "completed", done
    code = done["public_code"]
    base_url = app.platform.settings.public_base_url.rstrip("/")
    assert done["playback_url"] == f"{base_url}/p/{code}"
    assert done["audio_url"]
    assert done["qr_svg_url"] == f"/api/v1/generations/{accepted['id']}/qr.svg"
    assert done["qr_png_url"] == f"/api/v1/generations/{accepted['id']}/qr.png"
    assert done["error"] is None
    assert done["attempts"] == 1
    assert done["completed_at"]
    assert looks_like_mp3(await fetch_audio(alice, done["audio_url"]))
    listed = (await alice.get("/api/v1/generations")).json()["items"]
    assert accepted["id"] in [g["id"] for g in listed]


async def test_the_qr_png_has_the_requested_size_and_scans_to_the_playback_url(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    response = await alice.get(spoken["qr_png_url"], params={"size": 300})

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (300, 300)
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{spoken['playback_url']}?s=q"]


async def test_a_placements_qr_code_scans_to_the_playback_url_with_its_name(
    alice: Agent, spoken: dict[str, Any]
) -> None:
    response = await alice.get(spoken["qr_png_url"], params={"placement": "Lobby-Door"})

    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('-lobby-door.png"')
    image = Image.open(io.BytesIO(response.content))
    decoded = [result.text for result in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{spoken['playback_url']}?s=q&p=lobby-door"]
    refused = await alice.get(spoken["qr_png_url"], params={"placement": "lobby door!"})
    assert_problem(refused, 400)


async def test_the_qr_svg_is_svg(alice: Agent, spoken: dict[str, Any]) -> None:
    response = await alice.get(spoken["qr_svg_url"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in response.content
    assert spoken["public_code"] in response.headers["content-disposition"]


@pytest.mark.parametrize("size", ["63", "4097", "0", "-1", "big"])
@pytest.mark.parametrize("kind", ["qr_png_url", "qr_svg_url"])
async def test_a_qr_size_out_of_bounds_is_400(
    alice: Agent, spoken: dict[str, Any], kind: str, size: str
) -> None:
    assert_problem(await alice.get(spoken[kind], params={"size": size}), 400)


def _bad_generation_bodies(voice_id: str, draft_id: str) -> dict[str, tuple[Any, int]]:
    return {
        "blank text": ({"text": "", "voice_id": voice_id}, 422),
        "whitespace-only text": ({"text": " \n\t  ", "voice_id": voice_id}, 422),
        "too long text": ({"text": "a" * (ESPEAK_MAX_CHARS + 1), "voice_id": voice_id}, 422),
        "far too long text": ({"text": "a" * 100_001, "voice_id": voice_id}, 400),
        "unknown voice": ({"text": "Hello", "voice_id": str(uuid.uuid4())}, 422),
        "unpublished voice": ({"text": "Hello", "voice_id": draft_id}, 422),
        "voice id not a uuid": ({"text": "Hello", "voice_id": "sam"}, 400),
        "text not a string": ({"text": 42, "voice_id": voice_id}, 400),
        "text null": ({"text": None, "voice_id": voice_id}, 400),
        "missing text": ({"voice_id": voice_id}, 400),
        "missing voice": ({"text": "Hello"}, 400),
        "empty object": ({}, 400),
        "extra field": ({"text": "Hello", "voice_id": voice_id, "speed": 2}, 400),
        "array body": ([{"text": "Hello", "voice_id": voice_id}], 400),
    }


async def test_bad_generation_requests_are_problems_and_create_nothing(
    app: RunningApp,
    carol: Agent,
    voices: list[dict[str, Any]],
    unpublished_voice: dict[str, Any],
) -> None:
    bodies = _bad_generation_bodies(voices[0]["id"], unpublished_voice["id"])
    for case, (body, status) in bodies.items():
        response = await carol.post("/api/v1/generations", json=body)
        assert response.status_code == status, (case, response.text)
        assert_problem(response, status)

    raw = {
        "malformed json": (b'{"text": "Hello", "voice_id": ', "application/json"),
        "not json at all": (b"text=Hello", "application/json"),
        "empty body": (b"", "application/json"),
    }
    for case, (content, content_type) in raw.items():
        response = await carol.post(
            "/api/v1/generations", content=content, headers={"Content-Type": content_type}
        )
        assert response.status_code == 400, (case, response.text)
        assert_problem(response, 400)

    listed = await carol.get("/api/v1/generations")
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_cursor": None}
    assert carol.user is not None
    assert app.count_generations(carol.user.id) == 0


async def test_the_problem_says_what_is_wrong_with_the_text(
    carol: Agent, voices: list[dict[str, Any]]
) -> None:
    blank = await carol.post("/api/v1/generations", json={"text": " ", "voice_id": voices[0]["id"]})
    long = await carol.post(
        "/api/v1/generations",
        json={"text": "a" * (ESPEAK_MAX_CHARS + 1), "voice_id": voices[0]["id"]},
    )
    extra = await carol.post(
        "/api/v1/generations", json={"text": "Hi", "voice_id": voices[0]["id"], "speed": 2}
    )

    assert assert_problem(blank, 422, "text_blank")["detail"] == "Type some text to speak."
    assert str(ESPEAK_MAX_CHARS) in assert_problem(long, 422, "text_too_long")["detail"]
    assert "speed" in assert_problem(extra, 400, "malformed_request")["detail"]


async def test_another_users_generation_is_not_found(bob: Agent, spoken: dict[str, Any]) -> None:
    generation_id = spoken["id"]

    assert_problem(await bob.get(f"/api/v1/generations/{generation_id}"), 404)
    assert_problem(await bob.get(spoken["qr_svg_url"]), 404)
    assert_problem(await bob.get(spoken["qr_png_url"], params={"size": 300}), 404)
    bobs = (await bob.get("/api/v1/generations")).json()["items"]
    assert generation_id not in [g["id"] for g in bobs]


async def test_generations_need_a_signed_in_user(
    app: RunningApp, spoken: dict[str, Any], voices: list[dict[str, Any]]
) -> None:
    anonymous = app.anonymous
    generation_id = spoken["id"]

    assert_problem(await anonymous.get("/api/v1/generations"), 401)
    assert_problem(
        await anonymous.post(
            "/api/v1/generations", json={"text": "Hello", "voice_id": voices[0]["id"]}
        ),
        401,
    )
    assert_problem(await anonymous.get(f"/api/v1/generations/{generation_id}"), 401)
    assert_problem(await anonymous.get(spoken["qr_svg_url"]), 401)
    assert_problem(await anonymous.get(spoken["qr_png_url"]), 401)


async def test_an_unknown_generation_is_404(alice: Agent) -> None:
    assert_problem(await alice.get(f"/api/v1/generations/{uuid.uuid4()}"), 404)
    assert_problem(await alice.get("/api/v1/generations/not-a-uuid"), 404)
