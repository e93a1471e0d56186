"""Listen-through over HTTP: the playback page reports what a listen heard, and the
owner reads how far the listens of a code went, in the API and on a page."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    wait_until_finished,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST_HALF = (1 << 10) - 1
EVERYTHING = (1 << 20) - 1
TEXT = "Welcome to the east wing. This painting was finished in 1889."


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def code(alice: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    response = await alice.post(
        "/api/v1/generations", json={"text": TEXT, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    done = await wait_until_finished(alice, response.json()["id"])
    assert done["status"] == "completed", done
    return done


async def report(app: RunningApp, code: str, body: Any) -> Any:
    return await app.anonymous.post(f"/api/v1/playback/{code}/progress", json=body)


async def test_listens_reported_by_the_page_make_the_owners_listen_through(
    app: RunningApp, alice: Agent, code: dict[str, Any]
) -> None:
    state = (await app.anonymous.get(f"/api/v1/playback/{code['public_code']}")).json()
    assert state["revision"] == 1
    half, whole = str(uuid.uuid4()), str(uuid.uuid4())
    for listen, heard in ((half, 0b1), (half, FIRST_HALF), (whole, EVERYTHING)):
        response = await report(app, code["public_code"], {"listen": listen, "heard": heard})
        assert response.status_code == 204, response.text
    # The page names the audio it played; a report never shrinks a listen.
    response = await report(app, code["public_code"], {"listen": half, "heard": 0b1, "revision": 1})
    assert response.status_code == 204, response.text

    seen = await alice.get(f"/api/v1/generations/{code['id']}/listen-through")
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["listens"] == 2
    assert body["completion_rate"] == 0.5
    assert body["average_heard"] == 0.75
    assert body["retention"] == [1.0] * 10 + [0.5] * 10
    assert body["sentences"] == [
        {"text": "Welcome to the east wing.", "heard": 1.0},
        {"text": "This painting was finished in 1889.", "heard": 0.5},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"listen": "not-a-uuid", "heard": 1},
        {"listen": str(uuid.uuid4()), "heard": EVERYTHING + 1},
        {"listen": str(uuid.uuid4()), "heard": -1},
        {"listen": str(uuid.uuid4())},
        {"listen": str(uuid.uuid4()), "heard": 1, "revision": 0},
    ],
    ids=["malformed-id", "above-20-bits", "negative", "missing", "revision-0"],
)
async def test_a_malformed_report_is_refused(
    app: RunningApp, code: dict[str, Any], body: dict[str, Any]
) -> None:
    assert_problem(await report(app, code["public_code"], body), 400, "malformed_request")


async def test_a_report_for_audio_the_code_never_played_is_refused(
    app: RunningApp, code: dict[str, Any]
) -> None:
    body = {"listen": str(uuid.uuid4()), "heard": 1, "revision": 7}
    assert_problem(await report(app, code["public_code"], body), 422, "audio_revision_not_played")


async def test_reports_for_unknown_and_deleted_codes_are_refused(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    body = {"listen": str(uuid.uuid4()), "heard": 1}
    assert_problem(await report(app, "AAAAAAAAAAAAAAAA", body), 404)
    made = await alice.post(
        "/api/v1/generations", json={"text": "Gone soon.", "voice_id": voices[0]["id"]}
    )
    done = await wait_until_finished(alice, made.json()["id"])
    assert (await alice.delete(f"/api/v1/generations/{done['id']}")).status_code == 204
    assert_problem(await report(app, done["public_code"], body), 410, "audio_removed")


async def test_only_the_owner_reads_a_codes_listen_through(
    app: RunningApp, bob: Agent, code: dict[str, Any]
) -> None:
    url = f"/api/v1/generations/{code['id']}/listen-through"
    assert_problem(await bob.get(url), 404, "generation_not_found")
    assert_problem(await app.anonymous.get(url), 401)


async def test_the_owner_sees_how_far_people_listened_sentence_by_sentence(
    app: RunningApp, alice: Agent, bob: Agent, voices: list[dict[str, Any]]
) -> None:
    made = await alice.post("/api/v1/generations", json={"text": TEXT, "voice_id": voices[0]["id"]})
    done = await wait_until_finished(alice, made.json()["id"])
    url = f"/generations/{done['id']}/listen-through"
    code_page = await alice.get(f"/generations/{done['id']}", headers=BROWSER)
    assert f'href="{url}"' in code_page.text

    empty = await alice.get(url, headers=BROWSER)
    assert empty.status_code == 200
    assert "No one has listened yet" in empty.text

    for heard in (FIRST_HALF, EVERYTHING):
        body = {"listen": str(uuid.uuid4()), "heard": heard}
        assert (await report(app, done["public_code"], body)).status_code == 204
    shown = await alice.get(url, headers=BROWSER)
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "no-store"
    assert "100% heard this sentence" in shown.text
    assert "50% heard this sentence" in shown.text
    assert '<dd id="completion">50%</dd>' in shown.text
    assert '<dd id="average">75%</dd>' in shown.text
    assert "<table" in shown.text  # the curve's numbers beside it

    assert (await bob.get(url, headers=BROWSER)).status_code == 404
    signed_out = await app.anonymous.get(url, headers=BROWSER)
    assert signed_out.status_code in (302, 303, 307)
