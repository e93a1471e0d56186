"""What a visitor who scans a code gets: the public playback page, its audio in byte
ranges, and the scans and listens it counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    audio_sources,
    fetch_audio,
    is_html,
    looks_like_mp3,
    wait_for_counts,
)
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.errors import ErrorCategory
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_audio_is_served_as_mp3_and_in_byte_ranges(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    url = spoken["audio_url"]
    whole = await app.anonymous.get(url)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/mpeg"
    assert whole.headers["accept-ranges"] == "bytes"
    audio = whole.content
    total = len(audio)
    assert int(whole.headers["content-length"]) == total
    assert total > 1000
    assert looks_like_mp3(audio)

    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, total - 1),
        "bytes=-50": (total - 50, total - 1),
        "bytes=10-10": (10, 10),
        f"bytes=200-{total + 5000}": (200, total - 1),
    }
    for header, (first, last) in cases.items():
        part = await app.anonymous.get(url, headers={"Range": header})
        assert part.status_code == 206, (header, part.status_code)
        assert part.headers["content-range"] == f"bytes {first}-{last}/{total}", header
        assert part.headers["content-type"] == "audio/mpeg"
        assert part.content == audio[first : last + 1], header


async def test_an_unsatisfiable_audio_range_is_416(app: RunningApp, spoken: dict[str, Any]) -> None:
    url = spoken["audio_url"]
    total = len((await app.anonymous.get(url)).content)

    response = await app.anonymous.get(url, headers={"Range": f"bytes={total}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{total}"


async def test_missing_media_is_404(app: RunningApp) -> None:
    assert_problem(await app.anonymous.get(f"/media/audio/{uuid.uuid4()}/1.mp3"), 404)


async def test_the_playback_page_shows_the_transcript_and_playable_audio(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    response = await app.anonymous.get(f"/p/{spoken['public_code']}", headers=BROWSER)

    assert response.status_code == 200
    assert is_html(response)
    assert response.headers["cache-control"] == "no-store"  # each visit is counted
    assert "set-cookie" not in response.headers  # a visitor who only scans gets no cookie
    html = response.text
    assert "Room 4 &amp; 5: &lt;b&gt;The Starry Night&lt;/b&gt;, painted in 1889." in html
    assert "<b>" not in html  # the transcript is text, never markup
    assert audio_sources(html) == [spoken["audio_url"]]
    assert looks_like_mp3(await fetch_audio(app.anonymous, spoken["audio_url"]))


async def requested(alice: Agent, voices: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """A new generation of Alice's, so its counts start at nought."""
    response = await alice.post(
        "/api/v1/generations", json={"text": text, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    made: dict[str, Any] = response.json()
    return made


async def test_each_visitor_counts_one_scan_per_visit(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    made = await requested(alice, voices, "Counted twice.")

    for agent in ("Phone/1.0", "Phone/1.0", "Laptop/2.0"):  # the phone looks twice
        page = await app.anonymous.get(f"/p/{made['public_code']}", headers={"User-Agent": agent})
        assert page.status_code == 200

    await wait_for_counts(alice, made["id"], scans=2, listens=0)


async def test_the_listen_beacon_counts_a_listen_and_the_state_counts_nothing(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    made = await requested(alice, voices, "Counted once.")

    state = await app.anonymous.get(f"/api/v1/playback/{made['public_code']}")
    response = await app.anonymous.post(f"/api/v1/playback/{made['public_code']}/listen")

    assert state.status_code == 200
    assert state.headers["cache-control"] == "no-store"
    assert set(state.json()) == {"status", "audio_url", "revision"}
    assert response.status_code == 204
    await wait_for_counts(alice, made["id"], scans=0, listens=1)


@pytest.mark.parametrize(
    "code",
    ["AAAAAAAAAAAAAAAA", "short", "has.dots.in.it", "x" * 65, "%3Cscript%3E"],
    ids=["unknown", "too-short", "bad-characters", "too-long", "markup"],
)
async def test_an_unknown_or_malformed_playback_code_is_404(app: RunningApp, code: str) -> None:
    page = await app.anonymous.get(f"/p/{code}", headers=BROWSER)
    assert page.status_code == 404
    assert is_html(page)
    assert "Not found" in page.text

    assert_problem(await app.anonymous.get(f"/p/{code}"), 404)
    assert_problem(await app.anonymous.post(f"/api/v1/playback/{code}/listen"), 404)


async def test_a_pending_generations_page_says_the_audio_is_being_made(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    # A generation whose first attempt failed and whose retry is an hour away.
    assert alice.user is not None
    now = datetime.now(UTC)
    waiting = Generation(
        id=uuid7(),
        owner_id=alice.user.id,
        voice_id=uuid.UUID(voices[0]["id"]),
        text="Back in a moment.",
        public_code=new_public_code(),
        created_at=now,
        updated_at=now,
        status=GenerationStatus.PENDING,
        attempts=1,
        next_attempt_at=now + timedelta(hours=1),
        error_category=ErrorCategory.PROVIDER,
        error_code="provider_unavailable",
        error_message="The speech service is busy; it will be tried again.",
    )
    app.insert_generation(waiting)

    page = await app.anonymous.get(f"/p/{waiting.public_code}", headers=BROWSER)

    assert page.status_code == 200
    assert "The audio is being made" in page.text
    assert "Back in a moment." in page.text
    assert 'http-equiv="refresh"' not in page.text  # it asks quietly, and counts no scan
    assert "/static/playback.js" in page.text
    assert audio_sources(page.text) == []
    api = (await alice.get(f"/api/v1/generations/{waiting.id}")).json()
    assert api["status"] == "pending"
    assert api["audio_url"] is None
    await wait_for_counts(alice, str(waiting.id), scans=1, listens=0)
    owner_page = await alice.get(f"/generations/{waiting.id}", headers=BROWSER)
    assert owner_page.status_code == 200
    assert "attempt 2 scheduled" in owner_page.text
    assert "The speech service is busy" in owner_page.text
