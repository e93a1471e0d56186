"""Bad input gets a 4xx that says what is wrong, never a 500, the same on SQLite and
on PostgreSQL: bodies nested too deep or not UTF-8, control characters in any string a
client sends (PostgreSQL cannot even store U+0000), dates that are not dates, texts
that say nothing. One app per engine serves the module; each test has its own users.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from tests.conftest import _admin, postgres_url
from tests.integration.http_helpers import (
    GENEROUS_LIMITS,
    PASSWORD,
    Agent,
    RunningApp,
    assert_problem,
    running_app,
)
from voiceqr.bootstrap import build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.generations.generation import Generation, GenerationStatus, new_public_code
from voiceqr.domain.shared.ids import uuid7
from voiceqr.entrypoints.http.app import create_app
from voiceqr.entrypoints.http.kit.api_requests import ACCEPTS_FILES
from voiceqr.entrypoints.http.kit.schemas import Body
from voiceqr.settings import Database, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

NUL = "\x00"
ESC = "\x1b"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """Settings on a fresh SQLite file, then on a fresh PostgreSQL database."""
    data_dir = str(tmp_path_factory.mktemp(f"voiceqr-bad-input-{request.param}"))
    if request.param == "sqlite":
        yield Settings(data_dir=data_dir, auth=GENEROUS_LIMITS)
        return
    template = request.getfixturevalue("postgres_template")
    database = f"voiceqr_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{database}" TEMPLATE "{template}"'))
    yield Settings(
        data_dir=data_dir, auth=GENEROUS_LIMITS, database=Database(url=postgres_url(database))
    )
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(settings: Settings) -> AsyncIterator[RunningApp]:
    async with running_app(settings) as running:
        platform = running.platform
        if not platform.embedded:  # the embedded platform seeds itself on start
            running.call(platform.voices.seed, platform.default_voices)
        yield running


async def someone(app: RunningApp, role: Role = Role.USER) -> Agent:
    return await app.new_user(f"u-{uuid7().hex}@example.com", role=role)


async def a_voice(agent: Agent) -> str:
    response = await agent.get("/api/v1/voices")
    assert response.status_code == 200, response.text
    return str(response.json()[0]["id"])


def a_failed_generation(app: RunningApp, agent: Agent, voice_id: str) -> str:
    """A generation that can be edited, stored as-is (no worker involved)."""
    assert agent.user is not None
    generation = Generation(
        id=uuid7(),
        owner_id=agent.user.id,
        voice_id=UUID(voice_id),
        text="The east wing is closed.",
        public_code=new_public_code(),
        created_at=datetime.now(UTC) - timedelta(hours=1),
        status=GenerationStatus.FAILED,
    )
    app.insert_generation(generation)
    return str(generation.id)


def refused_naming(response: Any, field: str, code: str = "control_characters") -> None:
    body = assert_problem(response, 422, code)
    assert f"`{field}`" in body["detail"], body


# --- bodies whose shape breaks the decoder ----------------------------------------------


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


DEEP_BODIES = [
    ("POST", "/api/v1/generations", '{"text": "Hi", "voice_id": %s}'),
    ("POST", "/api/v1/generations/batch", '{"action": "delete", "filter": %s}'),
    ("PUT", "/api/v1/me/draft", '{"text": %s}'),
    ("PATCH", "/api/v1/generations/{id}", '{"text": %s}'),
    ("POST", "/api/v1/auth/login", '{"email": "a@example.com", "password": %s}'),
]


@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize(("method", "path", "template"), DEEP_BODIES)
async def test_a_json_body_nested_a_thousand_levels_deep_is_a_400_problem(
    app: RunningApp, method: str, path: str, template: str, depth: int
) -> None:
    agent = await someone(app)
    path = path.format(id=a_failed_generation(app, agent, await a_voice(agent)))
    sender = app.anonymous if "/auth/" in path else agent
    response = await sender.request(
        method,
        path,
        content=template % deep(depth),
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(response, 400, "malformed_request")
    assert "nest" in body["detail"]


async def test_a_body_that_is_not_utf8_is_a_400_problem(app: RunningApp) -> None:
    for body in (b'{"email": "\xff@example.com", "password": "x"}', b"\xed\xa0\x80"):
        response = await app.anonymous.post(
            "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 400, "malformed_request")


# --- control characters in bodies -------------------------------------------------------


async def test_a_nul_byte_in_generation_text_is_refused_on_both_engines(app: RunningApp) -> None:
    agent = await someone(app)
    assert agent.user is not None
    voice_id = await a_voice(agent)
    generation_id = a_failed_generation(app, agent, voice_id)
    before = app.count_generations(agent.user.id)

    created = await agent.post(
        "/api/v1/generations", json={"text": f"Room 4{NUL} is closed", "voice_id": voice_id}
    )
    refused_naming(created, "text")
    drafted = await agent.request("PUT", "/api/v1/me/draft", json={"text": f"a{NUL}b"})
    refused_naming(drafted, "text")
    edited = await agent.patch(f"/api/v1/generations/{generation_id}", json={"text": f"a{NUL}"})
    refused_naming(edited, "text")
    login = await app.anonymous.post(
        "/api/v1/auth/login", json={"email": f"ann{NUL}@example.com", "password": PASSWORD}
    )
    refused_naming(login, "email")

    assert app.count_generations(agent.user.id) == before
    assert (await agent.get("/api/v1/me/draft")).json()["text"] == ""
    kept = (await agent.get(f"/api/v1/generations/{generation_id}")).json()
    assert kept["text"] == "The east wing is closed."


# (who sends it, method, path, body with {c} where the character goes, the field named)
STRING_FIELDS: list[tuple[str, str, str, dict[str, Any], str]] = [
    ("anonymous", "POST", "/api/v1/auth/register",
     {"name": "N{c}", "email": "n@example.com", "password": PASSWORD, "terms_accepted": True},
     "name"),
    ("anonymous", "POST", "/api/v1/auth/register",
     {"name": "N", "email": "n{c}@example.com", "password": PASSWORD, "terms_accepted": True},
     "email"),
    ("anonymous", "POST", "/api/v1/auth/forgot-password", {"email": "a{c}@example.com"}, "email"),
    ("anonymous", "POST", "/api/v1/auth/resend-verification", {"email": "a{c}@example.com"},
     "email"),
    ("anonymous", "POST", "/api/v1/auth/verify-email", {"token": "t{c}"}, "token"),
    ("anonymous", "POST", "/api/v1/auth/reset-password",
     {"token": "t", "password": "new {c} password"}, "password"),
    ("user", "PATCH", "/api/v1/me", {"name": "N{c}"}, "name"),
    ("user", "PATCH", "/api/v1/me", {"email": "z{c}@example.com"}, "email"),
    ("user", "POST", "/api/v1/folders", {"name": "F{c}"}, "name"),
    ("user", "POST", "/api/v1/tags", {"name": "T{c}"}, "name"),
    ("user", "PUT", "/api/v1/generations/{id}/tags", {"tags": ["ok", "T{c}"]}, "tags[1]"),
    ("user", "POST", "/api/v1/me/api-keys", {"name": "K{c}", "scopes": ["read"]}, "name"),
    ("user", "POST", "/api/v1/generations/batch",
     {"action": "delete", "filter": {"tag": "a{c}"}}, "tag"),
    ("user", "POST", "/api/v1/generations/batch",
     {"action": "tag", "ids": ["{id}"], "tags": ["a{c}"]}, "tags[0]"),
    ("user", "POST", "/api/v1/me/2fa/confirm", {"code": "12{c}456"}, "code"),
    ("admin", "POST", "/api/v1/voices", {"name": "V{c}", "provider_voice_id": "en"}, "name"),
    ("admin", "PATCH", "/api/v1/admin/generations/{id}", {"text": "a{c}"}, "text"),
]  # fmt: skip


def filled(value: Any, character: str, generation_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{c}", character).replace("{id}", generation_id)
    if isinstance(value, list):
        return [filled(v, character, generation_id) for v in value]
    if isinstance(value, dict):
        return {k: filled(v, character, generation_id) for k, v in value.items()}
    return value


@pytest.mark.parametrize("character", [NUL, ESC])
@pytest.mark.parametrize(("who", "method", "path", "body", "field"), STRING_FIELDS)
async def test_every_string_field_refuses_control_characters_naming_the_field(
    app: RunningApp,
    who: str,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
    character: str,
) -> None:
    owner = await someone(app)
    generation_id = a_failed_generation(app, owner, await a_voice(owner))
    sender = {
        "anonymous": app.anonymous,
        "user": owner,
        "admin": await someone(app, Role.ADMIN) if who == "admin" else owner,
    }[who]
    response = await sender.request(
        method,
        path.replace("{id}", generation_id),
        json=filled(body, character, generation_id),
    )
    refused_naming(response, field)


async def test_tabs_and_line_breaks_are_kept_in_texts_and_refused_in_names(
    app: RunningApp,
) -> None:
    agent = await someone(app)
    voice_id = await a_voice(agent)
    text = "Room 4:\tclosed.\r\nRoom 5:\topen."
    made = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert made.status_code == 202, made.text
    assert made.json()["text"] == text
    drafted = await agent.request("PUT", "/api/v1/me/draft", json={"text": text})
    assert drafted.status_code == 200, drafted.text
    assert drafted.json()["text"] == text
    refused_naming(await agent.post("/api/v1/folders", json={"name": "Rooms\n4"}), "name")
    refused_naming(await agent.patch("/api/v1/me", json={"name": "Ann\tLee"}), "name")


# --- query parameters -------------------------------------------------------------------


@pytest.mark.parametrize("character", [NUL, ESC])
async def test_a_control_character_in_a_history_filter_is_refused(
    app: RunningApp, character: str
) -> None:
    agent = await someone(app)
    for path in ("/api/v1/generations", "/api/v1/generations/export.zip"):
        for name in ("q", "tag"):
            response = await agent.get(path, params={name: f"room{character}"})
            refused_naming(response, name)
    admin = await someone(app, Role.ADMIN)
    response = await admin.get("/api/v1/admin/audit", params={"actor": f"a{character}"})
    assert_problem(response, 422, "control_characters")


@pytest.mark.parametrize(
    "value", ["-1", "0.5", "1e3", "", "null", "yesterday", "2024-02-30", "2024-13-01T00:00:00Z"]
)
@pytest.mark.parametrize("name", ["created_from", "created_to"])
async def test_a_date_filter_that_is_not_an_iso_8601_date_is_a_400_problem(
    app: RunningApp, name: str, value: str
) -> None:
    agent = await someone(app)
    response = await agent.get("/api/v1/generations", params={name: value})
    body = assert_problem(response, 400, "malformed_request")
    assert name in body["detail"]
    assert [e["key"] for e in body["errors"]] == [name]


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01",
        "20240101",
        "2024-01-01T10:00",
        "2024-01-01T10:00:00Z",
        "2024-01-01t10:00:00.5z",
        "2024-01-01T10:00:00+05:30",
        "9999-12-31T23:00:00-05:00",  # after year 9999 in UTC
        "0001-01-01T00:00:00+05:00",  # before year 1 in UTC
    ],
)
@pytest.mark.parametrize("name", ["created_from", "created_to"])
async def test_iso_8601_dates_and_date_times_filter_the_history(
    app: RunningApp, name: str, value: str
) -> None:
    agent = await someone(app)
    response = await agent.get("/api/v1/generations", params={name: value})
    assert response.status_code == 200, response.text


async def test_a_date_range_is_still_read_as_a_half_open_window(app: RunningApp) -> None:
    agent = await someone(app)
    made = a_failed_generation(app, agent, await a_voice(agent))
    day = (datetime.now(UTC) - timedelta(hours=1)).date()
    window = {"created_from": day.isoformat(), "created_to": (day + timedelta(1)).isoformat()}
    listed = await agent.get("/api/v1/generations", params=window)
    assert [item["id"] for item in listed.json()["items"]] == [made]
    later = {"created_from": (day + timedelta(1)).isoformat()}
    assert (await agent.get("/api/v1/generations", params=later)).json()["items"] == []
    far = {"created_to": "9999-12-31T23:00:00-05:00"}
    assert [
        i["id"] for i in (await agent.get("/api/v1/generations", params=far)).json()["items"]
    ] == [made]


async def test_a_batch_filter_dated_beyond_utc_matches_nothing_rather_than_failing(
    app: RunningApp,
) -> None:
    agent = await someone(app)
    a_failed_generation(app, agent, await a_voice(agent))
    response = await agent.post(
        "/api/v1/generations/batch",
        json={"action": "delete", "filter": {"created_from": "9999-12-31T23:00:00-05:00"}},
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 0


# --- texts that say nothing -----------------------------------------------------------


@pytest.mark.parametrize("text", ["\u200b", " \u200b\u200c\u200d\u2060\ufeff \n", "\ufeff"])
async def test_a_text_of_zero_width_characters_is_refused_as_empty(
    app: RunningApp, text: str
) -> None:
    agent = await someone(app)
    assert agent.user is not None
    voice_id = await a_voice(agent)
    generation_id = a_failed_generation(app, agent, voice_id)
    before = app.count_generations(agent.user.id)
    created = await agent.post("/api/v1/generations", json={"text": text, "voice_id": voice_id})
    assert_problem(created, 422, "text_blank")
    edited = await agent.patch(f"/api/v1/generations/{generation_id}", json={"text": text})
    assert_problem(edited, 422, "text_blank")
    assert app.count_generations(agent.user.id) == before


# --- web forms --------------------------------------------------------------------------


async def test_web_forms_with_a_nul_byte_are_refused_not_crashed(app: RunningApp) -> None:
    agent = await someone(app)
    assert agent.user is not None
    voice_id = await a_voice(agent)
    generation_id = a_failed_generation(app, agent, voice_id)
    before = app.count_generations(agent.user.id)
    anonymous = app.anonymous
    refused = [
        (anonymous, "/signin", "/signin", {"email": f"a{NUL}@example.com", "password": PASSWORD}),
        (anonymous, "/signup", "/signup",
         {"name": "N", "email": f"n{NUL}@example.com", "password": PASSWORD, "terms": "on"}),
        (anonymous, "/signup", "/signup",
         {"name": f"N{NUL}", "email": "nn@example.com", "password": PASSWORD, "terms": "on"}),
        (agent, "/generations/new", "/generations", {"text": f"a{NUL}b", "voice_id": voice_id}),
        (agent, "/generations/new", "/generations", {"text": "\u200b", "voice_id": voice_id}),
        (agent, f"/generations/{generation_id}", f"/generations/{generation_id}/edit",
         {"text": f"a{NUL}b", "voice_id": voice_id}),
        (agent, "/profile", "/profile/name", {"name": f"N{NUL}"}),
    ]  # fmt: skip
    for sender, page, action, data in refused:
        response = await sender.submit(page, action, data)
        assert 400 <= response.status_code < 500, (action, data, response.status_code)
    # These answer the same whatever the address (nothing is told about accounts).
    for page in ("/forgot-password", "/resend-verification"):
        response = await anonymous.submit(page, page, {"email": f"a{NUL}@example.com"})
        assert response.status_code < 500, (page, response.status_code)
    # The history page shows what is wrong with a search above an empty list.
    history = await agent.get(
        "/generations", params={"tag": f"a{NUL}"}, headers={"Accept": "text/html"}
    )
    assert history.status_code == 200
    assert "cannot hold the control character U+0000" in history.text
    assert app.count_generations(agent.user.id) == before


# --- what the schema tells clients --------------------------------------------------------


def test_every_json_body_of_the_api_is_checked_for_control_characters(tmp_path: Any) -> None:
    litestar = create_app(build(Settings(data_dir=str(tmp_path))))
    bodies = {
        handler.parsed_fn_signature.parameters["data"].annotation
        for route in litestar.routes
        for handler in getattr(route, "route_handlers", [])
        if "data" in handler.parsed_fn_signature.parameters
        and route.path.startswith("/api/")
        and not handler.opt.get(ACCEPTS_FILES)  # multipart: files, not JSON text
    }
    assert len(bodies) > 15
    assert all(isinstance(b, type) and issubclass(b, Body) for b in bodies), bodies


def test_the_openapi_schema_states_which_characters_each_string_takes(tmp_path: Any) -> None:
    schema = create_app(build(Settings(data_dir=str(tmp_path)))).openapi_schema.to_schema()
    components = schema["components"]["schemas"]
    text = components["GenerationCreate"]["properties"]["text"]["pattern"]
    email = components["SignInBody"]["properties"]["email"]["pattern"]
    assert text == "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
    assert email == "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
    assert "pattern" not in components["SignInBody"]["properties"]["password"]
    parameters = schema["paths"]["/api/v1/generations"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in parameters}
    assert by_name["created_from"]["oneOf"] == [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ]
    assert by_name["tag"]["pattern"] == email
