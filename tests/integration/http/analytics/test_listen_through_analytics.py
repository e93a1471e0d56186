"""Listen-through on the owner's analytics over HTTP, from listens the playback page
reports: the summary's average share heard, codes ranked by listen-through, one code's
curve and sentences in the API, on its page and as CSV; and the time zone the analytics
are shown in (asked for, else the profile's, else UTC)."""

from __future__ import annotations

import csv
import io
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
from voiceqr.domain.analytics.listening import MIN_LISTENS_TO_RANK

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST_HALF = (1 << 10) - 1
TEXT = "Welcome to the east wing. This painting was finished in 1889."


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def heard(app: RunningApp, alice: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    """Alice's code, heard half way by as many listens as a ranking needs."""
    response = await alice.post(
        "/api/v1/generations", json={"text": TEXT, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    made = await wait_until_finished(alice, response.json()["id"])
    for _ in range(MIN_LISTENS_TO_RANK):
        reported = await app.anonymous.post(
            f"/api/v1/playback/{made['public_code']}/progress",
            json={"listen": str(uuid.uuid4()), "heard": FIRST_HALF},
        )
        assert reported.status_code == 204, reported.text
    return made


async def test_the_summary_has_the_average_listen_through_and_completion_rate(
    alice: Agent, heard: dict[str, Any]
) -> None:
    body = (await alice.get("/api/v1/analytics/summary")).json()
    assert body["listens_reported"] == MIN_LISTENS_TO_RANK
    assert body["average_listen_through"] == 0.5
    assert body["completion_rate"] == 0.0
    # A period before the listens has none of them.
    before = await alice.get("/api/v1/analytics/summary", params={"to": "2026-01-01"})
    assert before.json()["listens_reported"] == 0


async def test_one_codes_analytics_carry_its_curve_and_sentences(
    alice: Agent, heard: dict[str, Any]
) -> None:
    response = await alice.get(f"/api/v1/generations/{heard['id']}/analytics")
    assert response.status_code == 200, response.text
    listening = response.json()["listen_through"]
    assert listening["listens"] == MIN_LISTENS_TO_RANK
    assert listening["retention"] == [1.0] * 10 + [0.0] * 10
    assert [(s["text"], s["heard"]) for s in listening["sentences"]] == [
        ("Welcome to the east wing.", 1.0),
        ("This painting was finished in 1889.", 0.0),
    ]


async def test_codes_are_ranked_by_listen_through_with_the_minimum_said(
    alice: Agent, heard: dict[str, Any]
) -> None:
    response = await alice.get("/api/v1/analytics/top-codes", params={"by": "listen_through"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["min_listens"] == MIN_LISTENS_TO_RANK
    best = body["codes"][0]
    assert (best["generation_id"], best["average_listen_through"]) == (heard["id"], 0.5)
    assert best["listens_reported"] == MIN_LISTENS_TO_RANK


async def test_another_users_code_is_not_found_and_a_bad_time_zone_is_a_422(
    bob: Agent, heard: dict[str, Any]
) -> None:
    assert_problem(await bob.get(f"/api/v1/generations/{heard['id']}/analytics"), 404)
    assert (await bob.get("/api/v1/analytics/summary")).json()["listens_reported"] == 0
    assert_problem(
        await bob.get("/api/v1/analytics/summary", params={"tz": "Europe/Atlantis"}),
        422,
        "unknown_time_zone",
    )


async def test_the_pages_show_listen_through_and_export_it(
    alice: Agent, heard: dict[str, Any]
) -> None:
    account = await alice.get("/analytics", headers=BROWSER)
    assert "Average listen-through" in account.text
    assert f"at least {MIN_LISTENS_TO_RANK} listens" in account.text
    one = await alice.get(f"/generations/{heard['id']}/analytics", headers=BROWSER)
    assert one.status_code == 200
    assert "How far people listened" in one.text
    assert f"/generations/{heard['id']}/listen-through" in one.text
    curve = await alice.get(f"/generations/{heard['id']}/analytics/csv/listen-through")
    rows = list(csv.reader(io.StringIO(curve.text)))
    assert rows[0] == ["Part of the audio", "Listens that heard it"]
    assert rows[1] == ["0% to 5%", "100%"]
    assert rows[-1] == ["95% to 100%", "0%"]
    sentences = await alice.get(f"/generations/{heard['id']}/analytics/csv/sentences")
    assert list(csv.reader(io.StringIO(sentences.text)))[1] == ["Welcome to the east wing.", "100%"]
    best = await alice.get("/analytics/csv/top-listen-through")
    assert list(csv.reader(io.StringIO(best.text)))[1][2:5] == [
        str(MIN_LISTENS_TO_RANK),
        "50%",
        "0%",
    ]


async def test_a_code_without_listens_says_what_to_do(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.post(
        "/api/v1/generations", json={"text": "Nobody heard me.", "voice_id": voices[0]["id"]}
    )
    made = await wait_until_finished(alice, response.json()["id"])
    page = await alice.get(f"/generations/{made['id']}/analytics", headers=BROWSER)
    assert "No listens of this code's audio in this period yet" in page.text


async def test_analytics_are_in_the_zone_asked_for_else_the_profiles_else_the_browsers(
    carol: Agent,
) -> None:
    assert (await carol.get("/api/v1/analytics/summary")).json()["period"]["tz"] == "UTC"
    page = await carol.get("/analytics", headers=BROWSER)
    assert 'src="/static/zone.js"' in page.text  # asks the browser for its zone
    asked = await carol.get("/analytics?tz=America/Chicago", headers=BROWSER)
    assert 'src="/static/zone.js"' not in asked.text

    saved = await carol.patch("/api/v1/me/preferences", json={"time_zone": "Asia/Tokyo"})
    assert saved.status_code == 200, saved.text
    summary = await carol.get("/api/v1/analytics/summary")
    assert summary.json()["period"]["tz"] == "Asia/Tokyo"
    asked_json = await carol.get("/api/v1/analytics/summary", params={"tz": "Europe/Paris"})
    assert asked_json.json()["period"]["tz"] == "Europe/Paris"
    page = await carol.get("/analytics", headers=BROWSER)
    assert 'src="/static/zone.js"' not in page.text
    assert "Asia/Tokyo" in page.text
    await carol.patch("/api/v1/me/preferences", json={"time_zone": None})
