"""API keys end to end (P6, S4): the JSON API, `Authorization: Bearer` and the web pages.

One app on the embedded platform (SQLite in a temporary directory, the in-process
worker) serves the module; each test makes its own users, so state never leaks
between tests. The rotation test runs its own app with a clock it can move.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.integration.http_helpers import (
    BROWSER,
    Agent,
    RunningApp,
    assert_problem,
    is_html,
    running_app,
)
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.settings import Auth, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

KEY = re.compile(r"vqr_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}")
KEYS = "/api/v1/me/api-keys"


class MovableClock:
    """Real time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-api-keys")),
        auth=Auth(sign_in_per_minute=1000),  # every test signs new people in from one address
    )
    async with running_app(settings) as app:
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def voice_id(app: RunningApp) -> str:
    response = await app.anonymous.get("/api/v1/voices")
    assert response.status_code == 200, response.text
    return str(response.json()[0]["id"])


_people = iter(range(1_000_000))


async def someone(app: RunningApp, *, role: Role = Role.USER) -> Agent:
    """A new signed-in user, unique to the calling test."""
    return await app.new_user(f"{role}{next(_people)}@example.com", role=role)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_key(agent: Agent, *scopes: str, name: str = "CI") -> dict[str, Any]:
    response = await agent.post(KEYS, json={"name": name, "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def stored_keys(app: RunningApp, user: User | None) -> int:
    assert user is not None
    return len(app.call(app.platform.accounts.api_keys.list, user))


# --- managing keys with the browser session -------------------------------------------------


async def test_create_shows_the_full_key_once_and_lists_show_only_the_prefix(
    app: RunningApp,
) -> None:
    alice = await someone(app)

    response = await alice.post(KEYS, json={"name": "Museum kiosk", "scopes": ["read", "generate"]})

    assert response.status_code == 201, response.text
    assert "no-store" in response.headers["cache-control"]
    created = response.json()
    assert KEY.fullmatch(created["key"])
    assert created["key"].startswith(created["prefix"] + "_")
    assert created["name"] == "Museum kiosk"
    assert created["scopes"] == ["generate", "read"]
    assert created["last_used_at"] is None
    assert created["revoked_at"] is None
    assert created["rotation_grace_ends_at"] is None

    listed = await alice.get(KEYS)
    assert listed.status_code == 200
    [entry] = listed.json()
    assert set(entry) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "last_used_at",
        "revoked_at",
        "rotation_grace_ends_at",
    }
    assert entry["id"] == created["id"]
    assert entry["prefix"] == created["prefix"]
    secret = created["key"].split("_", 2)[2]
    assert created["key"] not in listed.text
    assert secret not in listed.text


async def test_list_is_newest_first_and_keeps_revoked_keys(app: RunningApp) -> None:
    alice = await someone(app)
    first = await make_key(alice, "read", name="first")
    second = await make_key(alice, "read", name="second")

    assert (await alice.delete(f"{KEYS}/{first['id']}")).status_code == 204

    listed = (await alice.get(KEYS)).json()
    assert [k["name"] for k in listed] == ["second", "first"]
    assert listed[0]["id"] == second["id"]
    assert listed[1]["revoked_at"] is not None
    # Revoking again changes nothing.
    assert (await alice.delete(f"{KEYS}/{first['id']}")).status_code == 204


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "ci", "scopes": []}, 422, "scopes_blank"),
        ({"name": "ci"}, 400, "malformed_request"),
        ({"name": "ci", "scopes": ["read", "write"]}, 422, "scope_unknown"),
        ({"name": "ci", "scopes": "read"}, 400, "malformed_request"),
        ({"name": "   ", "scopes": ["read"]}, 422, "api_key_name_blank"),
        ({"name": "x" * 101, "scopes": ["read"]}, 422, "api_key_name_too_long"),
        ({"name": "ci", "scopes": ["admin"]}, 403, "admin_scope_denied"),
        ({"name": "ci", "scopes": ["read"], "owner": "me"}, 400, "malformed_request"),
    ],
)
async def test_bad_input_is_a_problem_and_stores_nothing(
    app: RunningApp, body: dict[str, Any], status: int, code: str
) -> None:
    carol = await someone(app)

    assert_problem(await carol.post(KEYS, json=body), status, code)

    assert stored_keys(app, carol.user) == 0
    assert (await carol.get(KEYS)).json() == []


async def test_another_users_key_is_not_found_and_keeps_working(app: RunningApp) -> None:
    alice, mallory = await someone(app), await someone(app)
    key = await make_key(alice, "read")

    assert_problem(await mallory.delete(f"{KEYS}/{key['id']}"), 404, "api_key_not_found")
    assert_problem(await mallory.post(f"{KEYS}/{key['id']}/rotate"), 404, "api_key_not_found")

    assert (await app.anonymous.get("/api/v1/generations", headers=bearer(key["key"]))).is_success
    assert (await mallory.get(KEYS)).json() == []


async def test_managing_keys_needs_a_session(app: RunningApp) -> None:
    assert_problem(await app.anonymous.get(KEYS), 401)
    assert_problem(await app.anonymous.post(KEYS, json={"name": "x", "scopes": ["read"]}), 401)


# --- using a key ------------------------------------------------------------------------------


async def test_a_read_key_lists_but_cannot_generate(app: RunningApp, voice_id: str) -> None:
    alice = await someone(app)
    assert alice.user is not None
    key = await make_key(alice, "read")
    reader = app.anonymous

    listed = await reader.get("/api/v1/generations", headers=bearer(key["key"]))
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None}
    me = await reader.get("/api/v1/me", headers=bearer(key["key"]))
    assert me.json()["email"] == alice.user.email

    refused = await reader.post(
        "/api/v1/generations",
        json={"text": "Hello", "voice_id": voice_id},
        headers=bearer(key["key"]),
    )
    assert_problem(refused, 403, "api_key_scope_missing")
    assert app.count_generations(alice.user.id) == 0


async def test_a_generate_key_creates_but_cannot_read(app: RunningApp, voice_id: str) -> None:
    alice = await someone(app)
    assert alice.user is not None
    key = await make_key(alice, "generate")

    made = await app.anonymous.post(
        "/api/v1/generations",
        json={"text": "Room four: the starry night.", "voice_id": voice_id},
        headers=bearer(key["key"]),
    )
    assert made.status_code == 202, made.text
    assert app.count_generations(alice.user.id) == 1

    for url in ("/api/v1/generations", f"/api/v1/generations/{made.json()['id']}", "/api/v1/me"):
        assert_problem(
            await app.anonymous.get(url, headers=bearer(key["key"])), 403, "api_key_scope_missing"
        )
    # The owner's session still sees it: the key acted as alice.
    assert len((await alice.get("/api/v1/generations")).json()["items"]) == 1


async def test_using_a_key_notes_when_it_was_last_used(app: RunningApp) -> None:
    alice = await someone(app)
    key = await make_key(alice, "read")
    before = datetime.now(UTC)

    assert (await app.anonymous.get("/api/v1/me", headers=bearer(key["key"]))).status_code == 200

    [entry] = (await alice.get(KEYS)).json()
    assert entry["last_used_at"] is not None
    assert datetime.fromisoformat(entry["last_used_at"]) >= before - timedelta(seconds=1)


async def test_a_bearer_key_wins_over_the_cookie(app: RunningApp) -> None:
    alice, bob = await someone(app), await someone(app)
    assert bob.user is not None
    bobs_key = await make_key(bob, "read")

    me = await alice.get("/api/v1/me", headers=bearer(bobs_key["key"]))

    assert me.json()["email"] == bob.user.email


@pytest.mark.parametrize(
    "token", ["vqr_nope_nope", "not-a-key", "", "vqr_AAAAAAAAAAAA_" + "A" * 43]
)
async def test_a_bad_bearer_key_is_a_401_even_with_a_good_cookie(
    app: RunningApp, token: str
) -> None:
    alice = await someone(app)

    for url in ("/api/v1/me", "/api/v1/generations", "/api/v1/voices"):
        response = await alice.get(url, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "api_key_invalid")
    # Another scheme is not ours to judge (e.g. a proxy's Basic auth): the cookie counts.
    assert (await alice.get("/api/v1/me", headers={"Authorization": "Basic eDp5"})).is_success


async def test_a_revoked_key_is_a_401(app: RunningApp) -> None:
    alice = await someone(app)
    key = await make_key(alice, "read")
    assert (await app.anonymous.get("/api/v1/me", headers=bearer(key["key"]))).is_success

    assert (await alice.delete(f"{KEYS}/{key['id']}")).status_code == 204

    assert_problem(
        await app.anonymous.get("/api/v1/me", headers=bearer(key["key"])), 401, "api_key_invalid"
    )


async def test_a_disabled_account_s_keys_stop_working(app: RunningApp) -> None:
    alice = await someone(app)
    assert alice.user is not None
    key = await make_key(alice, "read")

    app.operator_sets_status(alice.user.email, UserStatus.DISABLED)

    assert_problem(
        await app.anonymous.get("/api/v1/me", headers=bearer(key["key"])), 401, "api_key_invalid"
    )


async def test_api_keys_cannot_manage_keys_sessions_or_passwords(app: RunningApp) -> None:
    root = await someone(app, role=Role.ADMIN)
    key = await make_key(root, "read", "generate", "admin")
    as_key = bearer(key["key"])
    client = app.anonymous
    some_id = key["id"]

    for method, url, body in (
        ("GET", KEYS, None),
        ("POST", KEYS, {"name": "more", "scopes": ["read"]}),
        ("DELETE", f"{KEYS}/{some_id}", None),
        ("POST", f"{KEYS}/{some_id}/rotate", None),
        ("GET", "/api/v1/me/sessions", None),
        ("DELETE", "/api/v1/me/sessions", None),
        ("DELETE", f"/api/v1/me/sessions/{some_id}", None),
        ("POST", "/api/v1/me/password", {"current_password": "x", "new_password": "y" * 12}),
        ("POST", "/api/v1/me/reauthenticate", {"password": "x"}),
        ("PATCH", "/api/v1/me", {"name": "Renamed"}),
        ("GET", "/api/v1/me/login-activity", None),
    ):
        response = await client.request(method, url, json=body, headers=as_key)
        assert_problem(response, 403, "api_key_not_allowed")
        # ... and the same request with the owner's cookie as well is still refused.
        response = await root.request(method, url, json=body, headers=as_key)
        assert_problem(response, 403, "api_key_not_allowed")

    [still] = (await root.get(KEYS)).json()
    assert still["revoked_at"] is None
    assert still["rotation_grace_ends_at"] is None


async def test_admin_routes_need_an_admin_key_of_an_admin(app: RunningApp) -> None:
    root = await someone(app, role=Role.ADMIN)
    admin_key = await make_key(root, "admin")
    read_key = await make_key(root, "read", "generate")
    voice = {"name": "Key voice", "provider_voice_id": "en-gb", "published": False}

    made = await app.anonymous.post("/api/v1/voices", json=voice, headers=bearer(admin_key["key"]))
    assert made.status_code == 201, made.text
    assert_problem(
        await app.anonymous.post("/api/v1/voices", json=voice, headers=bearer(read_key["key"])),
        403,
        "api_key_scope_missing",
    )
    assert_problem(
        await app.anonymous.delete(
            f"/api/v1/voices/{made.json()['id']}", headers=bearer(read_key["key"])
        ),
        403,
        "api_key_scope_missing",
    )
    # An admin-only key cannot read: every scope is asked for by name.
    assert_problem(
        await app.anonymous.get("/api/v1/generations", headers=bearer(admin_key["key"])),
        403,
        "api_key_scope_missing",
    )


async def test_a_non_admin_key_never_reaches_admin_routes(app: RunningApp) -> None:
    alice = await someone(app)
    key = await make_key(alice, "read", "generate")
    voice = {"name": "Sneaky", "provider_voice_id": "en-gb"}

    response = await app.anonymous.post("/api/v1/voices", json=voice, headers=bearer(key["key"]))

    assert response.status_code == 403


# --- rotation, with a clock we can move ------------------------------------------------------


async def test_a_rotated_key_s_old_secret_works_during_the_grace_period_only(
    tmp_path: Path,
) -> None:
    clock = MovableClock()
    settings = Settings(data_dir=str(tmp_path / "data"))
    async with running_app(settings, clock=clock) as running:
        alice = await running.new_user("rotator@example.com")
        key = await make_key(alice, "read")
        old = key["key"]

        response = await alice.post(f"{KEYS}/{key['id']}/rotate")

        assert response.status_code == 200, response.text
        assert "no-store" in response.headers["cache-control"]
        rotated = response.json()
        new = rotated["key"]
        assert KEY.fullmatch(new)
        assert new != old
        assert rotated["id"] == key["id"]
        assert rotated["prefix"] == key["prefix"]
        grace_end = datetime.fromisoformat(rotated["rotation_grace_ends_at"])
        assert timedelta(hours=23, minutes=59) < grace_end - clock() <= timedelta(hours=24)
        [entry] = (await alice.get(KEYS)).json()
        assert entry["rotation_grace_ends_at"] == rotated["rotation_grace_ends_at"]
        assert old not in (await alice.get(KEYS)).text

        anyone = running.anonymous
        assert (await anyone.get("/api/v1/me", headers=bearer(old))).is_success
        assert (await anyone.get("/api/v1/me", headers=bearer(new))).is_success

        clock.offset = timedelta(hours=23, minutes=58)
        assert (await anyone.get("/api/v1/me", headers=bearer(old))).is_success

        clock.offset = timedelta(hours=24, minutes=1)
        assert_problem(await anyone.get("/api/v1/me", headers=bearer(old)), 401, "api_key_invalid")
        assert (await anyone.get("/api/v1/me", headers=bearer(new))).is_success


async def test_a_revoked_key_cannot_be_rotated(app: RunningApp) -> None:
    alice = await someone(app)
    key = await make_key(alice, "read")
    await alice.delete(f"{KEYS}/{key['id']}")

    assert_problem(await alice.post(f"{KEYS}/{key['id']}/rotate"), 409, "api_key_revoked")


# --- the web pages -----------------------------------------------------------------------------


async def test_the_security_page_creates_a_key_shown_once(app: RunningApp) -> None:
    alice = await someone(app)
    assert alice.user is not None

    page = await alice.open_form("/security")
    assert 'id="api-keys"' in page.text
    assert 'name="scope_admin"' not in page.text  # admin scope is for administrators
    shown = await alice.post_form(
        "/security/api-keys",
        {"name": "Kiosk", "scope_read": "on", "scope_generate": "on"},
        form=page,
    )

    assert shown.status_code == 200, shown.text
    assert "no-store" in shown.headers["cache-control"]
    [token] = KEY.findall(shown.text)
    assert (await app.anonymous.get("/api/v1/generations", headers=bearer(token))).is_success
    again = await alice.get("/security", headers=BROWSER)
    assert "Kiosk" in again.text
    assert token.split("_")[1] in again.text  # the prefix is listed ...
    assert token not in again.text  # ... never the key


async def test_the_form_refuses_a_key_without_name_or_scope(app: RunningApp) -> None:
    alice = await someone(app)
    page = await alice.open_form("/security/api-keys")

    no_scope = await alice.post_form("/security/api-keys", {"name": "Kiosk"}, form=page)
    no_name = await alice.post_form(
        "/security/api-keys", {"name": " ", "scope_read": "on"}, form=page
    )

    assert no_scope.status_code == 422
    assert is_html(no_scope)
    assert 'role="alert"' in no_scope.text
    assert 'value="Kiosk"' in no_scope.text  # the form comes back filled in
    assert no_name.status_code == 422
    assert stored_keys(app, alice.user) == 0


async def test_admins_may_tick_the_admin_scope_on_the_web(app: RunningApp) -> None:
    root = await someone(app, role=Role.ADMIN)
    page = await root.open_form("/security/api-keys")
    assert 'name="scope_admin"' in page.text

    shown = await root.post_form(
        "/security/api-keys", {"name": "Ops", "scope_admin": "on"}, form=page
    )

    assert shown.status_code == 200
    assert "admin" in shown.text


async def test_rotate_and_revoke_from_the_security_page(app: RunningApp) -> None:
    alice = await someone(app)
    key = await make_key(alice, "read")
    page = await alice.open_form("/security")
    assert f"/security/api-keys/{key['id']}/revoke" in page.text

    rotated = await alice.post_form(f"/security/api-keys/{key['id']}/rotate", {}, form=page)
    assert rotated.status_code == 200
    [new] = KEY.findall(rotated.text)
    assert new != key["key"]
    assert "keeps working until" in rotated.text

    revoked = await alice.post_form(f"/security/api-keys/{key['id']}/revoke", {}, form=page)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/security#api-keys"
    for token in (key["key"], new):
        assert_problem(
            await app.anonymous.get("/api/v1/me", headers=bearer(token)), 401, "api_key_invalid"
        )
    listed = await alice.get("/security", headers=BROWSER)
    assert "Revoked" in listed.text


async def test_web_forms_without_the_csrf_token_are_refused(app: RunningApp) -> None:
    alice = await someone(app)
    await alice.open_form("/security/api-keys")

    response = await alice.post(
        "/security/api-keys", data={"name": "x", "scope_read": "on"}, headers=BROWSER
    )

    assert response.status_code == 403
    assert stored_keys(app, alice.user) == 0


async def test_another_users_key_on_the_web_is_not_found(app: RunningApp) -> None:
    alice, mallory = await someone(app), await someone(app)
    key = await make_key(alice, "read")
    page = await mallory.open_form("/security/api-keys")

    for action in ("rotate", "revoke"):
        response = await mallory.post_form(
            f"/security/api-keys/{key['id']}/{action}", {}, form=page
        )
        assert response.status_code == 404
    assert (await app.anonymous.get("/api/v1/me", headers=bearer(key["key"]))).is_success
