"""Cross-site request forgery through the JSON API is refused.

A page on another site could send a JSON text as `text/plain` (no CORS preflight)
and the browser would add the session cookie, also from a sibling subdomain that
`SameSite=Lax` counts as the same site. The API takes bodies declared as JSON only,
and cookie writes only from its own origin; API keys are not affected.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.integration.http_helpers import SITE, Agent, RunningApp, assert_problem, embedded_app

pytestmark = pytest.mark.asyncio(loop_scope="module")

EVIL = "https://evil.example"
SIBLING = "https://attacker.listen.example.org"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-csrf")) as running:
        yield running


_people = iter(range(1_000_000))


async def someone(app: RunningApp) -> Agent:
    return await app.new_user(f"csrf{next(_people)}@example.com")


async def voice_id(app: RunningApp) -> str:
    response = await app.anonymous.get("/api/v1/voices")
    return str(response.json()[0]["id"])


async def test_a_json_text_sent_as_text_plain_from_another_site_creates_nothing(
    app: RunningApp,
) -> None:
    victim = await someone(app)
    assert victim.user is not None
    body = json.dumps({"text": "Forged.", "voice_id": await voice_id(app)})
    response = await victim.post(
        "/api/v1/generations",
        content=body,
        headers={"Content-Type": "text/plain", "Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert app.count_generations(victim.user.id) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_every_body_but_json_is_refused_with_415(app: RunningApp, content_type: str) -> None:
    victim = await someone(app)
    assert victim.user is not None
    body = json.dumps({"text": "Not JSON by its label.", "voice_id": await voice_id(app)})
    headers = {"Content-Type": content_type} if content_type else {}
    response = await victim.post("/api/v1/generations", content=body, headers=headers)
    assert_problem(response, 415, "unsupported_media_type")
    assert app.count_generations(victim.user.id) == 0


async def test_json_with_a_charset_is_json(app: RunningApp) -> None:
    agent = await someone(app)
    response = await agent.request(
        "PUT",
        "/api/v1/me/draft",
        content=json.dumps({"text": "Hello", "voice_id": None}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": SIBLING, "Sec-Fetch-Site": "same-site"},
        {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ],
    ids=["other-origin", "sibling-subdomain", "cross-site", "opaque-origin"],
)
async def test_a_cookie_write_from_another_origin_is_refused(
    app: RunningApp, headers: dict[str, str]
) -> None:
    victim = await someone(app)
    assert victim.user is not None
    response = await victim.post(
        "/api/v1/generations",
        json={"text": "Forged.", "voice_id": await voice_id(app)},
        headers=headers,
    )
    assert_problem(response, 403, "cross_site_request")
    assert app.count_generations(victim.user.id) == 0


async def test_a_bodiless_cookie_write_from_another_site_is_refused_too(app: RunningApp) -> None:
    victim = await someone(app)
    response = await victim.delete("/api/v1/me/sessions", headers={"Origin": EVIL})
    assert_problem(response, 403, "cross_site_request")
    sessions = await victim.get("/api/v1/me/sessions")
    assert sessions.status_code == 200
    assert len(sessions.json()) == 1


@pytest.mark.parametrize(
    "headers",
    [{"Origin": SITE}, {"Origin": EVIL, "Sec-Fetch-Site": "same-origin"}, {}],
    ids=["our-origin", "browser-says-same-origin", "not-a-browser"],
)
async def test_cookie_writes_from_our_own_pages_and_non_browsers_go_through(
    app: RunningApp, headers: dict[str, str]
) -> None:
    agent = await someone(app)
    response = await agent.request(
        "PUT", "/api/v1/me/draft", json={"text": "Mine", "voice_id": None}, headers=headers
    )
    assert response.status_code == 200, response.text


async def test_api_key_requests_are_not_checked_for_their_origin(app: RunningApp) -> None:
    agent = await someone(app)
    created = await agent.post(
        "/api/v1/me/api-keys", json={"name": "script", "scopes": ["read", "generate"]}
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    response = await app.anonymous.post(
        "/api/v1/generations",
        json={"text": "From a script.", "voice_id": await voice_id(app)},
        headers={"Authorization": f"Bearer {key}", "Origin": EVIL},
    )
    assert response.status_code == 202, response.text


async def test_reads_from_another_origin_are_answered(app: RunningApp) -> None:
    agent = await someone(app)
    response = await agent.get("/api/v1/me", headers={"Origin": EVIL})
    assert response.status_code == 200, response.text
