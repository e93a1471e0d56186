"""Generation preferences end to end (P7-P10) and the time zone analytics are shown in:
the JSON API and the web pages on the embedded platform (SQLite, migrated on start),
with the real session and API keys."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html import unescape
from itertools import count
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    embedded_app,
)
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.profile.preferences import UserPreferences

pytestmark = pytest.mark.asyncio(loop_scope="module")

PREFERENCES = "/api/v1/me/preferences"
DRAFT = "/api/v1/me/draft"
_people = count()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-data")) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voices(app: RunningApp) -> list[dict[str, Any]]:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200, response.text
    published: list[dict[str, Any]] = response.json()
    assert len(published) >= 2
    return published


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hidden_voice(app: RunningApp) -> str:
    admin = await app.new_user(f"admin{next(_people)}@example.com", role=Role.ADMIN)
    response = await admin.post(
        "/api/v1/voices",
        json={"name": "Unpublished", "provider_voice_id": "en-gb", "published": False},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def someone(app: RunningApp) -> Agent:
    """A new signed-in user, unique to the calling test."""
    return await app.new_user(f"user{next(_people)}@example.com")


def stored(app: RunningApp, agent: Agent) -> UserPreferences | None:
    """The user's row, read straight from the database."""
    assert agent.user is not None
    user_id = agent.user.id

    async def read() -> UserPreferences | None:
        async with app.uow() as uow:
            return await uow.preferences.get(user_id)

    return app.call(read)


async def put_draft(agent: Agent, body: dict[str, Any], **kwargs: Any) -> Any:
    return await agent.request("PUT", DRAFT, json=body, **kwargs)


# --- the JSON API ------------------------------------------------------------------------


async def test_a_new_user_gets_the_defaults(app: RunningApp) -> None:
    ann = await someone(app)
    response = await ann.get(PREFERENCES)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "default_voice_id": None,
        "qr_size": 512,
        "recent_voice_ids": [],
        "email_generation_failed": True,
        "time_zone": None,
    }
    response = await ann.get(DRAFT)
    assert response.json() == {"text": "", "voice_id": None, "saved_at": None}
    assert stored(app, ann) is None


async def test_default_voice_and_qr_size_are_saved_and_read_back(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    voice_id = voices[1]["id"]
    response = await ann.patch(PREFERENCES, json={"default_voice_id": voice_id, "qr_size": 1024})
    assert response.status_code == 200, response.text
    assert response.json()["default_voice_id"] == voice_id
    assert (await ann.get(PREFERENCES)).json()["qr_size"] == 1024
    # A PATCH changes only what it names; null removes the default voice.
    response = await ann.patch(PREFERENCES, json={"default_voice_id": None})
    assert response.json() == {
        "default_voice_id": None,
        "qr_size": 1024,
        "recent_voice_ids": [],
        "email_generation_failed": True,
        "time_zone": None,
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"qr_size": 63}, 400, "malformed_request"),
        ({"qr_size": 4097}, 400, "malformed_request"),
        ({"qr_size": "big"}, 400, "malformed_request"),
        ({"default_voice_id": "not-a-uuid"}, 400, "malformed_request"),
        ({"colour": "blue"}, 400, "malformed_request"),
        ({"default_voice_id": "00000000-0000-7000-8000-000000000000"}, 422, "unknown_voice"),
    ],
)
async def test_bad_preferences_are_refused_and_nothing_is_stored(
    app: RunningApp, body: dict[str, Any], status: int, code: str
) -> None:
    ann = await someone(app)
    assert_problem(await ann.patch(PREFERENCES, json=body), status, code)
    assert stored(app, ann) is None


async def test_an_unpublished_default_voice_is_refused(app: RunningApp, hidden_voice: str) -> None:
    ann = await someone(app)
    await ann.patch(PREFERENCES, json={"qr_size": 256})
    response = await ann.patch(PREFERENCES, json={"default_voice_id": hidden_voice, "qr_size": 300})
    assert_problem(response, 422, "unknown_voice")
    kept = stored(app, ann)
    assert kept is not None
    assert (kept.default_voice_id, kept.qr_size) == (None, 256)


async def test_the_draft_is_saved_and_restored(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    body = {"text": "Room 4 & 5: <b>The Starry Night</b>", "voice_id": voices[0]["id"]}
    response = await put_draft(ann, body)
    assert response.status_code == 200, response.text
    got = (await ann.get(DRAFT)).json()
    assert (got["text"], got["voice_id"]) == (body["text"], body["voice_id"])
    assert got["saved_at"]
    response = await put_draft(ann, {"text": "x" * 5000})
    assert response.status_code == 200
    assert (await ann.get(DRAFT)).json()["voice_id"] is None


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "x" * 5001}, 400, "malformed_request"),
        ({"voice_id": None}, 400, "malformed_request"),
        ({"text": "hi", "voice_id": "00000000-0000-7000-8000-000000000000"}, 422, "unknown_voice"),
    ],
)
async def test_a_bad_draft_is_refused_and_nothing_is_stored(
    app: RunningApp, body: dict[str, Any], status: int, code: str
) -> None:
    ann = await someone(app)
    assert_problem(await put_draft(ann, body), status, code)
    assert stored(app, ann) is None


async def test_another_users_draft_is_never_visible(app: RunningApp) -> None:
    ann, bob = await someone(app), await someone(app)
    await put_draft(ann, {"text": "ann's private words"})
    assert (await bob.get(DRAFT)).json() == {"text": "", "voice_id": None, "saved_at": None}
    page = await bob.get("/generations/new", headers=BROWSER)
    assert "ann&#39;s private words" not in page.text
    assert "private words" not in unescape(page.text)


async def test_requesting_a_generation_clears_the_draft_and_makes_its_voice_recent(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    first, second = voices[0]["id"], voices[1]["id"]
    await put_draft(ann, {"text": "Hello there", "voice_id": second})
    for voice_id in (first, second):
        response = await ann.post(
            "/api/v1/generations", json={"text": "Hello there", "voice_id": voice_id}
        )
        assert response.status_code == 202, response.text
    assert (await ann.get(DRAFT)).json()["saved_at"] is None
    assert (await ann.get(PREFERENCES)).json()["recent_voice_ids"] == [second, first]


async def test_api_keys_may_read_but_not_change_preferences(app: RunningApp) -> None:
    ann = await someone(app)
    response = await ann.post("/api/v1/me/api-keys", json={"name": "CI", "scopes": ["read"]})
    assert response.status_code == 201, response.text
    key = {"Authorization": f"Bearer {response.json()['key']}"}
    assert (await app.anonymous.get(PREFERENCES, headers=key)).status_code == 200
    assert (await app.anonymous.get(DRAFT, headers=key)).status_code == 200
    refused = await app.anonymous.patch(PREFERENCES, json={"qr_size": 100}, headers=key)
    assert_problem(refused, 403, "api_key_not_allowed")
    assert_problem(await put_draft(app.anonymous, {"text": "x"}, headers=key), 403)
    assert stored(app, ann) is None


async def test_signed_out_callers_get_401(app: RunningApp) -> None:
    for response in (
        await app.anonymous.get(PREFERENCES),
        await app.anonymous.get(DRAFT),
        await put_draft(app.anonymous, {"text": "x"}),
    ):
        assert response.status_code == 401


# --- the web pages -----------------------------------------------------------------------


def checked_voice(html: str) -> str:
    found = re.findall(r'name="voice_id" value="([^"]+)" checked', html)
    assert len(found) == 1, found
    return str(found[0])


def voice_order(html: str) -> list[str]:
    return re.findall(r'name="voice_id" value="([^"]+)"', html)


async def test_the_create_page_restores_the_draft_and_preselects_the_default_voice(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    default = voices[-1]["id"]
    await ann.patch(PREFERENCES, json={"default_voice_id": default})
    page = await ann.get("/generations/new", headers=BROWSER)
    assert checked_voice(page.text) == default
    await put_draft(ann, {"text": "Draft <about> paintings", "voice_id": voices[0]["id"]})
    page = await ann.get("/generations/new", headers=BROWSER)
    assert "Draft &lt;about&gt; paintings</textarea>" in page.text
    assert checked_voice(page.text) == voices[0]["id"]  # the draft's voice wins
    assert 'id="draft-status"' in page.text
    assert "/static/create.js" in page.text


async def test_recent_voices_come_first_in_the_picker_with_a_label(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    last = voices[-1]["id"]
    page = await ann.get("/generations/new", headers=BROWSER)
    assert "Recent</span>" not in page.text
    response = await ann.post("/api/v1/generations", json={"text": "Hi", "voice_id": last})
    assert response.status_code == 202, response.text
    page = await ann.get("/generations/new", headers=BROWSER)
    order = voice_order(page.text)
    assert order[0] == last
    assert checked_voice(page.text) == last  # nothing else chosen: the voice last used
    assert len(order) == len(set(order)) == 4  # a short list, the rest in the gallery
    assert page.text.count("Recent</span>") == 1


async def test_the_generation_page_offers_the_preferred_png_size_first(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    await ann.patch(PREFERENCES, json={"qr_size": 300})
    response = await ann.post(
        "/api/v1/generations", json={"text": "Hi", "voice_id": voices[0]["id"]}
    )
    generation_id = response.json()["id"]
    page = await ann.get(f"/generations/{generation_id}", headers=BROWSER)
    sizes = re.findall(r"qr\.png\?size=(\d+)", page.text)
    assert sizes == ["300", "512", "1024", "2048"]
    png = await ann.get(f"/api/v1/generations/{generation_id}/qr.png?size=300")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"


async def test_the_profile_form_saves_preferences(
    app: RunningApp, voices: list[dict[str, Any]]
) -> None:
    ann = await someone(app)
    voice_id = voices[1]["id"]
    response = await ann.submit(
        "/profile", "/profile/preferences", {"default_voice_id": voice_id, "qr_size": "2048"}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/profile?done=preferences")
    kept = stored(app, ann)
    assert kept is not None
    assert (kept.default_voice_id, kept.qr_size) == (UUID(voice_id), 2048)
    page = await ann.get("/profile?done=preferences", headers=BROWSER)
    assert "Your preferences are saved." in page.text
    assert f'<option value="{voice_id}" selected>' in page.text
    assert 'name="qr_size" value="2048"' in page.text


@pytest.mark.parametrize(
    "form",
    [
        {"default_voice_id": "", "qr_size": "5000"},
        {"default_voice_id": "", "qr_size": "big"},
        {"default_voice_id": "00000000-0000-7000-8000-000000000000", "qr_size": "512"},
    ],
)
async def test_a_bad_profile_form_is_shown_again_and_nothing_is_stored(
    app: RunningApp, form: dict[str, str]
) -> None:
    ann = await someone(app)
    response = await ann.submit("/profile", "/profile/preferences", form, headers=BROWSER)
    assert response.status_code == 422, response.text
    assert 'role="alert"' in response.text
    assert stored(app, ann) is None


async def test_the_profile_form_needs_its_csrf_token(app: RunningApp) -> None:
    ann = await someone(app)
    response = await ann.post(
        "/profile/preferences", data={"default_voice_id": "", "qr_size": "100"}, headers=BROWSER
    )
    assert response.status_code == 403
    assert stored(app, ann) is None


# --- the time zone analytics are shown in ---------------------------------------------


async def test_the_time_zone_is_saved_read_back_and_cleared(app: RunningApp) -> None:
    ann = await someone(app)
    response = await ann.patch(PREFERENCES, json={"time_zone": "Asia/Kolkata"})
    assert response.status_code == 200, response.text
    assert response.json()["time_zone"] == "Asia/Kolkata"
    kept = stored(app, ann)
    assert kept is not None
    assert kept.time_zone == "Asia/Kolkata"
    # null goes back to the browser's, and leaves the other preferences alone.
    response = await ann.patch(PREFERENCES, json={"time_zone": None})
    assert response.json()["time_zone"] is None
    assert response.json()["qr_size"] == 512


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, 422, "unknown_time_zone"),
        ({"time_zone": "../../etc/passwd"}, 422, "unknown_time_zone"),
        ({"time_zone": "localtime"}, 422, "unknown_time_zone"),
        ({"time_zone": "Europe/Paris" * 10}, 400, "malformed_request"),
        ({"time_zone": 1}, 400, "malformed_request"),
    ],
)
async def test_a_bad_time_zone_is_refused_and_nothing_is_stored(
    app: RunningApp, body: dict[str, Any], status: int, code: str
) -> None:
    ann = await someone(app)
    assert_problem(await ann.patch(PREFERENCES, json={**body, "qr_size": 256}), status, code)
    assert stored(app, ann) is None


async def test_the_profile_page_offers_every_time_zone_and_saves_the_one_picked(
    app: RunningApp,
) -> None:
    ann = await someone(app)
    page = await ann.get("/profile", headers=BROWSER)
    assert '<option value="" selected>Your browser\'s time zone</option>' in page.text
    assert '<option value="America/Sao_Paulo" >' in page.text
    response = await ann.submit("/profile", "/profile/time-zone", {"time_zone": "Europe/Paris"})
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/profile?done=time-zone")
    page = await ann.get("/profile?done=time-zone", headers=BROWSER)
    assert "Your time zone is saved." in page.text
    assert '<option value="Europe/Paris" selected>' in page.text


async def test_a_time_zone_the_form_cannot_offer_is_shown_again_and_nothing_is_stored(
    app: RunningApp,
) -> None:
    ann = await someone(app)
    response = await ann.submit(
        "/profile", "/profile/time-zone", {"time_zone": "Europe/Atlantis"}, headers=BROWSER
    )
    assert response.status_code == 422, response.text
    assert 'role="alert"' in response.text
    assert "is not a time zone" in response.text
    assert stored(app, ann) is None
