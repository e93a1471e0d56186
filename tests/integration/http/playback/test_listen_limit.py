"""The public listen endpoint counts a visitor's listens of a code only up to its limit
a minute: past it the answer is 429 with when to try again, and nothing more is counted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.http_helpers import Agent, RunningApp, assert_problem, wait_until_finished
from voiceqr.application.playback.playback import LISTENS_PER_MINUTE

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_visitor_past_the_listens_a_minute_gets_429(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.post(
        "/api/v1/generations", json={"text": "Play me again.", "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    code = (await wait_until_finished(alice, response.json()["id"]))["public_code"]

    for _ in range(LISTENS_PER_MINUTE):
        listened = await app.anonymous.post(f"/api/v1/playback/{code}/listen")
        assert listened.status_code == 204, listened.text
    refused = await app.anonymous.post(f"/api/v1/playback/{code}/listen")

    assert_problem(refused, 429)
    assert refused.headers.get("retry-after") == "60"
