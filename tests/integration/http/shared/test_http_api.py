"""The web app end to end: JSON API, web pages, media and probes on real adapters.

One app on the embedded platform (SQLite in a temporary data directory, local
storage, espeak, the in-process worker and sweeper, migrated and seeded on start)
serves the whole module, so state accumulates: counts are compared before and
after, and the user who must own nothing (carol) only ever sends bad requests.
Passwords use the real argon2id hasher at its lowest cost to keep sign-ins fast.
The core API flow runs once more on PostgreSQL.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import zxingcpp
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.integration.http_helpers import (
    BROWSER,
    HIDDEN_NEXT,
    PASSWORD,
    SITE,
    Agent,
    RunningApp,
    assert_problem,
    audio_sources,
    cookie_attributes,
    fast_hasher,
    is_html,
    looks_like_mp3,
    session_token,
    set_cookie_header,
    stays_on_site,
    wait_until_finished,
)
from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.errors import ErrorCategory
from voiceqr.domain.shared.ids import uuid7
from voiceqr.entrypoints.http.app import create_app
from voiceqr.settings import Auth, Database, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

TRANSCRIPT = "Room 4 & 5: <b>The Starry Night</b>, painted in 1889."
ESPEAK_MAX_CHARS = Settings().speech.espeak_max_chars
# Many sign-ins from one test client: the rate limits are tested in test_accounts_api.
GENEROUS_LIMITS = Auth(sign_in_per_minute=10_000, emails_per_hour=10_000)


# --- the running app and its people ------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = Settings(data_dir=str(tmp_path_factory.mktemp("voiceqr-data")), auth=GENEROUS_LIMITS)
    platform = build(settings, Adapters(hasher=fast_hasher()))
    async with AsyncTestClient(create_app(platform)) as client:
        yield RunningApp(platform, client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app: RunningApp) -> Agent:
    return await app.new_user("admin@example.com", role=Role.ADMIN)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def alice(app: RunningApp) -> Agent:
    return await app.new_user("alice@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bob(app: RunningApp) -> Agent:
    return await app.new_user("bob@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def carol(app: RunningApp) -> Agent:
    """A user whose every request is rejected: she must never own a generation."""
    return await app.new_user("carol@example.com")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voices(app: RunningApp) -> list[dict[str, Any]]:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200
    published: list[dict[str, Any]] = response.json()
    assert published
    return published


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def unpublished_voice(admin: Agent) -> dict[str, Any]:
    response = await admin.post(
        "/api/v1/voices",
        json={"name": "Draft voice", "provider_voice_id": "en-gb", "published": False},
    )
    assert response.status_code == 201, response.text
    voice: dict[str, Any] = response.json()
    return voice


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def spoken(alice: Agent, voices: list[dict[str, Any]]) -> dict[str, Any]:
    """Alice's completed generation."""
    response = await alice.post(
        "/api/v1/generations", json={"text": TRANSCRIPT, "voice_id": voices[0]["id"]}
    )
    assert response.status_code == 202, response.text
    done = await wait_until_finished(alice, response.json()["id"])
    assert done["status"] == "completed", done
    return done


async def _audio(agent: Agent, url: str, **kwargs: Any) -> bytes:
    response = await agent.get(url, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/mpeg"
    return response.content


# --- signing in and out ---------------------------------------------------------------


async def test_login_sets_an_httponly_lax_session_cookie_and_me_returns_the_user(
    app: RunningApp,
) -> None:
    user = app.create_user("login@example.com")

    response = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "Login@Example.com ", "password": PASSWORD}
    )

    assert response.status_code == 200
    profile = response.json()
    assert datetime.fromisoformat(profile.pop("created_at")) == user.created_at
    assert profile == {
        "id": str(user.id),
        "email": "login@example.com",
        "name": "Login",
        "role": "user",
        "email_verified": True,  # operators' accounts are verified
        "two_factor_enabled": False,
    }
    attributes = cookie_attributes(set_cookie_header(response))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert "secure" not in attributes  # development serves plain http
    token = session_token(response)
    assert token
    me = await Agent(app.client, token).get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert me.json()["email"] == "login@example.com"


async def test_me_without_a_session_is_a_401_problem(app: RunningApp) -> None:
    assert_problem(await app.anonymous.get("/api/v1/me"), 401)
    assert_problem(await Agent(app.client, "not-a-session").get("/api/v1/me"), 401)


async def test_wrong_password_and_unknown_email_get_the_same_401_problem(
    app: RunningApp, alice: Agent
) -> None:
    wrong_password = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": "not the password"}
    )
    unknown_email = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )

    first = assert_problem(wrong_password, 401, "bad_credentials")
    second = assert_problem(unknown_email, 401, "bad_credentials")
    assert first == second
    assert not wrong_password.headers.get_list("set-cookie")
    assert not unknown_email.headers.get_list("set-cookie")


async def test_logout_ends_the_session_on_the_server(app: RunningApp) -> None:
    agent = await app.new_user("logout@example.com")
    assert (await agent.get("/api/v1/me")).status_code == 200

    response = await agent.post("/api/v1/auth/logout")

    assert response.status_code == 204
    cleared = cookie_attributes(set_cookie_header(response))
    assert cleared["max-age"] == "0"
    # The browser would drop the cookie; someone who kept it gets nowhere.
    assert_problem(await agent.get("/api/v1/me"), 401)
    assert agent.token is not None
    assert app.call(app.platform.accounts.accounts.user_for_session, agent.token) is None


# --- the voice gallery ------------------------------------------------------------------


async def test_voice_gallery_lists_published_voices_with_playable_samples(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    assert len(voices) == len(app.platform.default_voices)
    assert all(v["published"] for v in voices)
    priorities = [v["priority"] for v in voices]
    assert priorities == sorted(priorities, reverse=True)
    for voice in voices:
        assert voice["samples"], voice
        for sample in voice["samples"]:
            assert looks_like_mp3(await _audio(app.anonymous, sample["url"]))


async def test_unpublished_voices_are_hidden_from_users_but_visible_to_admins(
    alice: Agent, admin: Agent, unpublished_voice: dict[str, Any]
) -> None:
    voice_id = unpublished_voice["id"]

    seen_by_alice = [v["id"] for v in (await alice.get("/api/v1/voices")).json()]
    seen_by_admin = [v["id"] for v in (await admin.get("/api/v1/voices")).json()]

    assert voice_id not in seen_by_alice
    assert voice_id in seen_by_admin
    assert_problem(await alice.get(f"/api/v1/voices/{voice_id}"), 404, "voice_not_found")
    as_admin = await admin.get(f"/api/v1/voices/{voice_id}")
    assert as_admin.status_code == 200
    assert as_admin.json()["published"] is False


async def test_admin_creates_updates_and_deletes_a_voice(admin: Agent, alice: Agent) -> None:
    created = await admin.post(
        "/api/v1/voices",
        json={
            "name": "Harriet",
            "provider_voice_id": "en-gb",
            "description": "British narration.",
            "region": "United Kingdom",
            "published": False,
            "priority": 5,
        },
    )
    assert created.status_code == 201, created.text
    voice = created.json()
    assert voice["name"] == "Harriet"
    assert voice["provider"] == "espeak"
    assert voice["published"] is False

    updated = await admin.patch(
        f"/api/v1/voices/{voice['id']}", json={"name": "Harriet B.", "published": True}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Harriet B."
    assert updated.json()["published"] is True
    assert updated.json()["region"] == "United Kingdom"  # untouched fields stay
    assert voice["id"] in [v["id"] for v in (await alice.get("/api/v1/voices")).json()]

    deleted = await admin.delete(f"/api/v1/voices/{voice['id']}")
    assert deleted.status_code == 204
    assert_problem(await admin.get(f"/api/v1/voices/{voice['id']}"), 404)
    assert_problem(await admin.delete(f"/api/v1/voices/{voice['id']}"), 404)


async def test_only_admins_manage_voices(
    app: RunningApp, alice: Agent, admin: Agent, voices: list[dict[str, Any]]
) -> None:
    before = (await admin.get("/api/v1/voices")).json()
    voice_id = voices[0]["id"]
    body = {"name": "Sneaky", "provider_voice_id": "en-us"}

    assert_problem(await alice.post("/api/v1/voices", json=body), 403)
    assert_problem(await alice.patch(f"/api/v1/voices/{voice_id}", json={"name": "x"}), 403)
    assert_problem(await alice.delete(f"/api/v1/voices/{voice_id}"), 403)
    assert_problem(await app.anonymous.post("/api/v1/voices", json=body), 401)
    assert_problem(await app.anonymous.delete(f"/api/v1/voices/{voice_id}"), 401)

    assert (await admin.get("/api/v1/voices")).json() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"name": "A", "provider_voice_id": "en", "colour": "red"}, 400, id="unknown"),
        pytest.param({"name": "A", "provider_voice_id": "en", "priority": "high"}, 400, id="type"),
        pytest.param({"name": 7, "provider_voice_id": "en"}, 400, id="name-not-text"),
        pytest.param({"provider_voice_id": "en"}, 400, id="missing-name"),
        pytest.param({"name": "   ", "provider_voice_id": "en"}, 422, id="blank-name"),
        pytest.param({"name": "A", "provider_voice_id": " "}, 422, id="blank-provider-id"),
        pytest.param({"name": "A" * 101, "provider_voice_id": "en"}, 422, id="long-name"),
        pytest.param({"name": "A" * 201, "provider_voice_id": "en"}, 400, id="huge-name"),
        pytest.param(
            {"name": "A", "provider_voice_id": "x", "provider": "nope"}, 422, id="provider"
        ),
        pytest.param([], 400, id="not-an-object"),
    ],
)
async def test_invalid_voice_bodies_are_rejected_and_nothing_is_stored(
    admin: Agent, body: Any, status: int
) -> None:
    before = (await admin.get("/api/v1/voices")).json()

    assert_problem(await admin.post("/api/v1/voices", json=body), status)

    assert (await admin.get("/api/v1/voices")).json() == before


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"colour": "red"}, 400, id="unknown"),
        pytest.param({"published": "yes please"}, 400, id="type"),
        pytest.param({"name": ""}, 422, id="blank-name"),
    ],
)
async def test_invalid_voice_changes_are_rejected_and_nothing_changes(
    admin: Agent, unpublished_voice: dict[str, Any], body: Any, status: int
) -> None:
    url = f"/api/v1/voices/{unpublished_voice['id']}"
    before = (await admin.get(url)).json()

    assert_problem(await admin.patch(url, json=body), status)

    assert (await admin.get(url)).json() == before


async def test_malformed_json_for_a_voice_is_a_400_problem(admin: Agent) -> None:
    before = (await admin.get("/api/v1/voices")).json()

    response = await admin.post(
        "/api/v1/voices", content=b'{"name": "A",', headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 400)
    assert (await admin.get("/api/v1/voices")).json() == before


# --- generations ------------------------------------------------------------------------


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
    assert looks_like_mp3(await _audio(alice, done["audio_url"]))
    listed = (await alice.get("/api/v1/generations")).json()["items"]
    assert accepted["id"] in [g["id"] for g in listed]


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
    assert decoded == [spoken["playback_url"]]


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


# --- the public playback page -------------------------------------------------------------


async def test_the_playback_page_shows_the_transcript_and_playable_audio(
    app: RunningApp, spoken: dict[str, Any]
) -> None:
    response = await app.anonymous.get(f"/p/{spoken['public_code']}", headers=BROWSER)

    assert response.status_code == 200
    assert is_html(response)
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert "Room 4 &amp; 5: &lt;b&gt;The Starry Night&lt;/b&gt;, painted in 1889." in html
    assert "<b>" not in html  # the transcript is text, never markup
    assert audio_sources(html) == [spoken["audio_url"]]
    assert looks_like_mp3(await _audio(app.anonymous, spoken["audio_url"]))


async def test_each_visit_of_the_playback_page_counts_a_scan(
    app: RunningApp, alice: Agent, spoken: dict[str, Any]
) -> None:
    url = f"/api/v1/generations/{spoken['id']}"
    before = (await alice.get(url)).json()

    for _ in range(2):
        assert (await app.anonymous.get(f"/p/{spoken['public_code']}")).status_code == 200

    after = (await alice.get(url)).json()
    assert after["scans"] == before["scans"] + 2
    assert after["listens"] == before["listens"]


async def test_the_listen_beacon_counts_a_listen(
    app: RunningApp, alice: Agent, spoken: dict[str, Any]
) -> None:
    url = f"/api/v1/generations/{spoken['id']}"
    before = (await alice.get(url)).json()

    response = await app.anonymous.post(f"/api/v1/playback/{spoken['public_code']}/listen")

    assert response.status_code == 204
    after = (await alice.get(url)).json()
    assert after["listens"] == before["listens"] + 1
    assert after["scans"] == before["scans"]


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
    assert audio_sources(page.text) == []
    api = (await alice.get(f"/api/v1/generations/{waiting.id}")).json()
    assert api["status"] == "pending"
    assert api["audio_url"] is None
    assert api["scans"] == 1
    owner_page = await alice.get(f"/generations/{waiting.id}", headers=BROWSER)
    assert owner_page.status_code == 200
    assert "attempt 2 scheduled" in owner_page.text
    assert "The speech service is busy" in owner_page.text


# --- web pages ------------------------------------------------------------------------------


async def test_home_sends_anonymous_visitors_to_sign_in_and_users_to_create(
    app: RunningApp, alice: Agent
) -> None:
    anonymous = await app.anonymous.get("/", headers=BROWSER)
    assert anonymous.is_redirect
    assert anonymous.headers["location"] == "/signin"

    signed_in = await alice.get("/", headers=BROWSER)
    assert signed_in.is_redirect
    assert signed_in.headers["location"] == "/generations/new"

    form = await app.anonymous.get("/signin", headers=BROWSER)
    assert form.status_code == 200
    assert '<form method="post" action="/signin">' in form.text


async def test_a_page_that_needs_sign_in_redirects_browsers_and_401s_api_clients(
    app: RunningApp,
) -> None:
    page = await app.anonymous.get("/generations/new", headers=BROWSER)
    assert page.is_redirect
    assert page.headers["location"] == "/signin?next=/generations/new"

    assert_problem(await app.anonymous.get("/generations/new"), 401)


async def test_the_sign_in_form_sets_the_cookie_and_redirects_to_next(
    app: RunningApp, alice: Agent
) -> None:
    response = await app.anonymous.submit(
        "/signin",
        "/signin",
        {"email": "alice@example.com", "password": PASSWORD, "next": "/generations?x=1"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/generations?x=1"
    attributes = cookie_attributes(set_cookie_header(response))
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert "secure" not in attributes
    browser = Agent(app.client, session_token(response))
    history = await browser.get("/generations", headers=BROWSER)
    assert history.status_code == 200
    assert "Your generations" in history.text


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "http:evil.example",
        "//evil.example/steal",
        "/\\evil.example/steal",
        "\\\\evil.example/steal",
        "/\t/evil.example/steal",
        "javascript:alert(1)",
        "",
    ],
    ids=[
        "absolute",
        "scheme-no-slashes",
        "scheme-relative",
        "backslash",
        "double-backslash",
        "tab",
        "js",
        "empty",
    ],
)
async def test_the_sign_in_form_never_redirects_off_site(app: RunningApp, target: str) -> None:
    response = await app.anonymous.submit(
        "/signin", "/signin", {"email": "alice@example.com", "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert stays_on_site(response.headers["location"]), response.headers["location"]

    # The same through a crafted link: the form carries `next` and posts it back.
    visitor = app.anonymous
    form = await visitor.open_form("/signin", params={"next": target})
    (hidden,) = HIDDEN_NEXT.findall(form.text)
    submitted = await visitor.post_form(
        "/signin",
        {"email": "alice@example.com", "password": PASSWORD, "next": unescape(hidden)},
        form=form,
    )
    assert submitted.status_code == 303
    assert stays_on_site(submitted.headers["location"]), submitted.headers["location"]


async def test_the_sign_in_form_with_bad_credentials_re_renders_with_401(
    app: RunningApp, alice: Agent
) -> None:
    response = await app.anonymous.submit(
        "/signin",
        "/signin",
        {"email": "alice@example.com", "password": "wrong password", "next": "/generations"},
    )

    assert response.status_code == 401
    assert is_html(response)
    assert "The email or password is not right." in response.text
    assert 'value="alice@example.com"' in response.text
    assert HIDDEN_NEXT.findall(response.text) == ["/generations"]
    assert not response.headers.get_list("set-cookie")


async def test_form_posts_without_a_matching_csrf_token_are_refused(
    app: RunningApp, carol: Agent, voices: list[dict[str, Any]]
) -> None:
    credentials = {"email": "alice@example.com", "password": PASSWORD, "next": "/generations"}
    visitor = app.anonymous
    form = await visitor.open_form("/signin")
    assert visitor.csrf
    other = app.anonymous
    other_form = await other.open_form("/signin")
    assert other.csrf != visitor.csrf

    no_token = await visitor.post("/signin", data=credentials, headers=BROWSER)
    no_cookie = await app.anonymous.post_form("/signin", credentials, form=form)
    someone_elses_token = await visitor.post_form("/signin", credentials, form=other_form)
    forged = await visitor.post(
        "/signin", data={**credentials, "_csrf_token": "0" * 128}, headers=BROWSER
    )

    for refused in (no_token, no_cookie, someone_elses_token, forged):
        assert refused.status_code == 403, refused.text
        assert not refused.headers.get_list("set-cookie")
    assert (await visitor.post_form("/signin", credentials, form=form)).status_code == 303

    assert carol.user is not None
    create = {"text": "Cross-site request", "voice_id": voices[0]["id"]}
    carols_form = await carol.open_form("/generations/new")
    refused = await carol.post("/generations", data=create, headers=BROWSER)
    assert refused.status_code == 403
    signed_out = await carol.post("/signout", headers=BROWSER)
    assert signed_out.status_code == 403
    assert (await carol.get("/api/v1/me")).status_code == 200  # still signed in
    assert app.count_generations(carol.user.id) == 0
    assert carols_form.status_code == 200


async def test_the_create_page_lists_voices_with_sample_audio(
    app: RunningApp, alice: Agent, voices: list[dict[str, Any]]
) -> None:
    page = await alice.get("/generations/new", headers=BROWSER)

    assert page.status_code == 200
    html = page.text
    for voice in voices:
        assert f'value="{voice["id"]}"' in html
        assert voice["name"] in html
    sources = audio_sources(html)
    assert sources == [s["url"] for v in voices for s in v["samples"]]
    assert looks_like_mp3(await _audio(app.anonymous, sources[0]))


async def test_the_create_form_redirects_to_the_new_generation(
    alice: Agent, voices: list[dict[str, Any]]
) -> None:
    response = await alice.submit(
        "/generations/new",
        "/generations",
        {"text": "Made with the form.", "voice_id": voices[1]["id"]},
    )

    assert response.status_code == 303
    match = re.fullmatch(r"/generations/([0-9a-f-]{36})", response.headers["location"])
    assert match
    done = await wait_until_finished(alice, match.group(1))
    assert done["text"] == "Made with the form."
    assert done["voice_id"] == voices[1]["id"]
    page = await alice.get(response.headers["location"], headers=BROWSER)
    assert page.status_code == 200
    assert "Made with the form." in page.text
    assert f"Voice: {voices[1]['name']}" in page.text


@pytest.mark.parametrize(
    ("text", "voice", "message"),
    [
        ("   ", "first", "Type some text to speak."),
        ("Hello", "", "Pick a voice."),
        ("Hello", "not-a-uuid", "Pick a voice."),
        ("Hello", "unknown", "Pick one of the voices in the gallery."),
        ("a" * (ESPEAK_MAX_CHARS + 1), "first", "this voice takes at most"),
    ],
    ids=["blank-text", "no-voice", "bad-voice", "unknown-voice", "too-long"],
)
async def test_a_bad_create_form_re_renders_with_422_and_a_message(
    app: RunningApp,
    carol: Agent,
    voices: list[dict[str, Any]],
    text: str,
    voice: str,
    message: str,
) -> None:
    voice_id = {"first": voices[0]["id"], "unknown": str(uuid.uuid4())}.get(voice, voice)

    response = await carol.submit(
        "/generations/new", "/generations", {"text": text, "voice_id": voice_id}
    )

    assert response.status_code == 422
    assert is_html(response)
    assert '<p class="alert" role="alert">' in response.text
    assert message in response.text
    assert carol.user is not None
    assert app.count_generations(carol.user.id) == 0


async def test_the_history_and_generation_pages_render(
    alice: Agent, bob: Agent, spoken: dict[str, Any]
) -> None:
    history = await alice.get("/generations", headers=BROWSER)
    assert history.status_code == 200
    assert f'href="/generations/{spoken["id"]}"' in history.text
    assert "The Starry Night" in history.text

    page = await alice.get(f"/generations/{spoken['id']}", headers=BROWSER)
    assert page.status_code == 200
    html = page.text
    assert "&lt;b&gt;The Starry Night&lt;/b&gt;" in html
    assert audio_sources(html) == [spoken["audio_url"]]
    assert f'src="{spoken["qr_svg_url"]}"' in html
    assert spoken["playback_url"] in html
    assert "Ready" in html

    not_bobs = await bob.get(f"/generations/{spoken['id']}", headers=BROWSER)
    assert not_bobs.status_code == 404
    assert is_html(not_bobs)


# --- probes and the API description --------------------------------------------------------


async def test_healthz_is_ok(app: RunningApp) -> None:
    response = await app.anonymous.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_checks_database_storage_and_queue(app: RunningApp) -> None:
    response = await app.anonymous.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "queue": "ok"},
    }


async def test_the_openapi_schema_documents_the_api(app: RunningApp) -> None:
    response = await app.anonymous.get("/api/v1/schema/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/generations" in paths
    assert {"get", "post"} <= set(paths["/api/v1/generations"])
    assert "/api/v1/generations/{generation_id}" in paths
    assert "/api/v1/voices" in paths
    assert not any(p.startswith(("/p/", "/signin", "/media")) for p in paths)


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_the_core_api_flow_on_postgresql(fresh_postgres: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    platform = build(settings, Adapters(hasher=fast_hasher()))
    assert not platform.embedded
    async with AsyncTestClient(create_app(platform)) as client:
        app = RunningApp(platform, client)
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
        assert looks_like_mp3(await _audio(app.anonymous, voices[0]["samples"][0]["url"]))

        accepted = await owner.post(
            "/api/v1/generations",
            json={"text": "Hello from Postgres.", "voice_id": voices[0]["id"]},
        )
        assert accepted.status_code == 202, accepted.text
        done = await wait_until_finished(owner, accepted.json()["id"])
        assert done["status"] == "completed", done
        assert done["playback_url"] == f"{SITE}/p/{done['public_code']}"

        audio = await _audio(app.anonymous, done["audio_url"])
        part = await app.anonymous.get(done["audio_url"], headers={"Range": "bytes=0-9"})
        assert part.status_code == 206
        assert part.content == audio[:10]
        png = await owner.get(done["qr_png_url"], params={"size": 300})
        image = Image.open(io.BytesIO(png.content))
        assert image.size == (300, 300)
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [done["playback_url"]]

        page = await app.anonymous.get(f"/p/{done['public_code']}", headers=BROWSER)
        assert "Hello from Postgres." in page.text
        listen = await app.anonymous.post(f"/api/v1/playback/{done['public_code']}/listen")
        assert listen.status_code == 204
        counted = (await owner.get(f"/api/v1/generations/{done['id']}")).json()
        assert (counted["scans"], counted["listens"]) == (1, 1)

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
