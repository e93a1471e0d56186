"""Two-factor sign-in end to end (A6): /api/v1/me/2fa, sign-in with a code, the web pages.

One app on the embedded platform (SQLite in a temporary directory, the real Fernet
SecretBox keyed from the data directory's development key) serves the module; each
test makes its own user. The app's clock is real time plus an offset a test can move,
and the codes are what an authenticator app would show at the app's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import pytest_asyncio
from sqlalchemy import select

from tests.integration.http_helpers import (
    BROWSER,
    PASSWORD,
    Agent,
    RunningApp,
    assert_problem,
    is_html,
    running_app,
    session_token,
)
from voiceqr.adapters.database import accounts
from voiceqr.adapters.secret_box import FernetSecretBox
from voiceqr.settings import Auth, Database, Settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

TWO_FACTOR = "/api/v1/me/2fa"
STEP = timedelta(seconds=30)


class MovableClock:
    """Real time plus an offset the test can move."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(autouse=True)
def real_time(clock: MovableClock) -> Iterator[None]:
    yield
    clock.offset = timedelta(0)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(
    tmp_path_factory: pytest.TempPathFactory, clock: MovableClock
) -> AsyncIterator[RunningApp]:
    settings = Settings(
        data_dir=str(tmp_path_factory.mktemp("voiceqr-2fa")),
        # Every test signs people in from the one test client address.
        auth=Auth(sign_in_per_minute=10_000),
    )
    async with running_app(settings, clock=clock) as app:
        yield app


_people = iter(range(1_000_000))


async def someone(app: RunningApp) -> Agent:
    """A new signed-in user, unique to the calling test."""
    return await app.new_user(f"person{next(_people)}@example.com")


def email_of(agent: Agent) -> str:
    assert agent.user is not None
    return agent.user.email


def code(secret: str, clock: MovableClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + steps * STEP)


async def enable(agent: Agent, clock: MovableClock) -> tuple[str, list[str]]:
    """Two-factor sign-in on for the agent's account: the secret and the recovery codes."""
    setup = await agent.post(f"{TWO_FACTOR}/setup")
    assert setup.status_code == 200, setup.text
    secret: str = setup.json()["secret"]
    confirmed = await agent.post(f"{TWO_FACTOR}/confirm", json={"code": code(secret, clock)})
    assert confirmed.status_code == 200, confirmed.text
    codes: list[str] = confirmed.json()["recovery_codes"]
    return secret, codes


async def login(app: RunningApp, email: str, **fields: Any) -> Any:
    return await app.anonymous.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD, **fields}
    )


async def status(agent: Agent) -> dict[str, Any]:
    response = await agent.get(TWO_FACTOR)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- setting it up ----------------------------------------------------------------------


async def test_setup_and_confirm_turn_it_on_and_give_ten_recovery_codes(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    assert await status(agent) == {
        "enabled": False,
        "enabled_at": None,
        "pending_setup": False,
        "recovery_codes_left": 0,
    }

    setup = await agent.post(f"{TWO_FACTOR}/setup")

    assert setup.status_code == 200, setup.text
    assert "no-store" in setup.headers["cache-control"]
    body = setup.json()
    totp = pyotp.parse_uri(body["otpauth_uri"])
    assert isinstance(totp, pyotp.TOTP)
    assert (totp.secret, totp.issuer, totp.name) == (body["secret"], "voiceqr", email_of(agent))
    assert body["qr_svg"].startswith("<svg")
    assert (await status(agent))["pending_setup"] is True
    # Nothing changes at sign-in before a code confirms the setup.
    assert (await login(app, email_of(agent))).status_code == 200

    wrong = f"{(int(code(body['secret'], clock)) + 1) % 1_000_000:06d}"
    refused = await agent.post(f"{TWO_FACTOR}/confirm", json={"code": wrong})
    assert_problem(refused, 422, "bad_code")

    confirmed = await agent.post(
        f"{TWO_FACTOR}/confirm", json={"code": code(body["secret"], clock)}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert "no-store" in confirmed.headers["cache-control"]
    codes = confirmed.json()["recovery_codes"]
    assert len(set(codes)) == 10
    now = await status(agent)
    assert (now["enabled"], now["pending_setup"], now["recovery_codes_left"]) == (True, False, 10)
    assert (await agent.get("/api/v1/me")).json()["two_factor_enabled"] is True


async def test_the_secret_is_encrypted_in_the_database(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    secret, codes = await enable(agent, clock)

    async def read() -> tuple[str, list[str]]:
        async with app.uow.engine.connect() as connection:
            users, recovery = accounts.users, accounts.recovery_codes
            assert agent.user is not None
            stored = (
                await connection.execute(
                    select(users.c.totp_secret).where(users.c.id == agent.user.id)
                )
            ).scalar_one()
            hashes = (
                await connection.execute(
                    select(recovery.c.code_hash).where(recovery.c.user_id == agent.user.id)
                )
            ).scalars()
            return stored, list(hashes)

    stored, hashes = app.call(read)

    assert secret not in stored
    assert FernetSecretBox(app.platform.secret_key).decrypt(stored) == secret
    assert len(hashes) == 10
    assert not {c.replace("-", "") for c in codes} & set(hashes)


async def test_setup_needs_the_password_within_five_minutes(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    clock.offset = timedelta(minutes=5, seconds=5)

    refused = await agent.post(f"{TWO_FACTOR}/setup")
    assert_problem(refused, 403, "reauthentication_required")

    again = await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD})
    assert again.status_code == 204, again.text
    assert (await agent.post(f"{TWO_FACTOR}/setup")).status_code == 200


# --- signing in -------------------------------------------------------------------------


async def test_sign_in_asks_for_a_code_and_takes_each_code_once(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    secret, _ = await enable(agent, clock)
    email = email_of(agent)

    asked = await login(app, email)
    assert_problem(asked, 401, "second_factor_required")
    assert session_token(asked) is None

    fresh = code(secret, clock, steps=1)  # the next step's: the current one confirmed the setup
    signed_in = await login(app, email, otp_code=fresh)
    assert signed_in.status_code == 200, signed_in.text
    assert session_token(signed_in)

    replayed = await login(app, email, otp_code=fresh)
    assert_problem(replayed, 401, "bad_second_factor")
    assert session_token(replayed) is None

    two_steps_off = await login(app, email, otp_code=code(secret, clock, steps=-2))
    assert_problem(two_steps_off, 401, "bad_second_factor")

    activity = (await agent.get("/api/v1/me/login-activity")).json()
    assert [(e["success"], e["method"]) for e in activity[:3]] == [
        (False, "password"),
        (False, "password"),
        (True, "totp"),
    ]


async def test_a_recovery_code_signs_in_once(app: RunningApp, clock: MovableClock) -> None:
    agent = await someone(app)
    _, codes = await enable(agent, clock)
    email = email_of(agent)

    first = await login(app, email, recovery_code=codes[0].lower().replace("-", " "))
    assert first.status_code == 200, first.text
    assert session_token(first)

    again = await login(app, email, recovery_code=codes[0])
    assert_problem(again, 401, "bad_second_factor")
    assert (await status(agent))["recovery_codes_left"] == 9


async def test_new_recovery_codes_need_a_recent_password_and_void_the_old_ones(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    _, old = await enable(agent, clock)
    clock.offset = timedelta(minutes=6)

    refused = await agent.post(f"{TWO_FACTOR}/recovery-codes")
    assert_problem(refused, 403, "reauthentication_required")
    await agent.post("/api/v1/me/reauthenticate", json={"password": PASSWORD})
    regenerated = await agent.post(f"{TWO_FACTOR}/recovery-codes")

    assert regenerated.status_code == 200, regenerated.text
    new = regenerated.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    assert_problem(await login(app, email_of(agent), recovery_code=old[1]), 401)
    assert (await login(app, email_of(agent), recovery_code=new[1])).status_code == 200


async def test_turning_it_off_needs_the_password(app: RunningApp, clock: MovableClock) -> None:
    agent = await someone(app)
    await enable(agent, clock)

    wrong = await agent.post(f"{TWO_FACTOR}/disable", json={"password": "not my password"})
    assert_problem(wrong, 401, "bad_password")
    assert (await status(agent))["enabled"] is True

    right = await agent.post(f"{TWO_FACTOR}/disable", json={"password": PASSWORD})
    assert right.status_code == 204, right.text
    assert (await status(agent))["enabled"] is False
    assert (await login(app, email_of(agent))).status_code == 200


async def test_guessing_codes_is_rate_limited_per_account(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)
    secret = (await agent.post(f"{TWO_FACTOR}/setup")).json()["secret"]
    wrong = f"{(int(code(secret, clock)) + 1) % 1_000_000:06d}"
    limit, window = app.platform.accounts.two_factor.policy.attempts
    for _ in range(limit):
        assert_problem(await agent.post(f"{TWO_FACTOR}/confirm", json={"code": wrong}), 422)

    limited = await agent.post(f"{TWO_FACTOR}/confirm", json={"code": code(secret, clock)})

    assert_problem(limited, 429, "rate_limited")
    assert limited.headers["retry-after"] == str(window)
    # Another account is not affected.
    other = await someone(app)
    assert (await other.post(f"{TWO_FACTOR}/setup")).status_code == 200


async def test_two_factor_settings_need_a_signed_in_session(app: RunningApp) -> None:
    for method, path, body in (
        ("GET", TWO_FACTOR, None),
        ("POST", f"{TWO_FACTOR}/setup", None),
        ("POST", f"{TWO_FACTOR}/confirm", {"code": "123456"}),
        ("POST", f"{TWO_FACTOR}/recovery-codes", None),
        ("POST", f"{TWO_FACTOR}/disable", {"password": PASSWORD}),
    ):
        response = await app.anonymous.request(method, path, json=body)
        assert_problem(response, 401)


async def test_a_malformed_body_is_a_400_that_says_what_is_wrong(app: RunningApp) -> None:
    agent = await someone(app)

    response = await agent.post(f"{TWO_FACTOR}/confirm", json={"code": "1" * 50})

    assert_problem(response, 400, "malformed_request")


async def test_the_openapi_schema_documents_the_two_factor_api(app: RunningApp) -> None:
    paths = (await app.anonymous.get("/api/v1/schema/openapi.json")).json()["paths"]

    assert "get" in paths[TWO_FACTOR]
    for action in ("setup", "confirm", "recovery-codes", "disable"):
        assert "post" in paths[f"{TWO_FACTOR}/{action}"]


# --- the web pages ------------------------------------------------------------------------


async def test_the_security_page_shows_the_two_factor_section(
    app: RunningApp, clock: MovableClock
) -> None:
    agent = await someone(app)

    off = await agent.get("/security", headers=BROWSER)
    assert off.status_code == 200, off.text
    assert is_html(off)
    assert 'id="two-factor"' in off.text
    assert "Set up two-factor sign-in" in off.text

    await enable(agent, clock)
    on = await agent.get("/security", headers=BROWSER)
    assert "Turn off two-factor sign-in" in on.text
    assert "10 of 10 recovery codes left" in on.text


async def test_two_factor_forms_that_no_longer_apply_lead_back_to_the_section(
    app: RunningApp, clock: MovableClock
) -> None:
    """A second tab's stale form: set up when it is on, confirm with no setup started,
    new recovery codes when it is off. Each leads back to the section, not to an error."""
    off = await someone(app)
    for action in ("/security/2fa/confirm", "/security/2fa/recovery-codes"):
        response = await off.submit("/security", action, {"code": "123456"})
        assert response.status_code == 303, (action, response.status_code, response.text)
        assert response.headers["location"] == "/security#two-factor"
    on = await someone(app)
    await enable(on, clock)
    response = await on.submit("/security", "/security/2fa/setup", {})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/security#two-factor"
    assert (await status(on))["enabled"] is True


async def test_two_factor_forms_need_the_csrf_token(app: RunningApp) -> None:
    agent = await someone(app)

    for path in ("/security/2fa/setup", "/security/2fa/confirm", "/security/2fa/disable"):
        response = await agent.post(path, data={"password": PASSWORD}, headers=BROWSER)
        assert response.status_code == 403, (path, response.status_code)
    assert (await status(agent))["pending_setup"] is False


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
async def test_the_two_factor_flow_on_postgresql(fresh_postgres: str, tmp_path: Path) -> None:
    clock = MovableClock()
    settings = Settings(data_dir=str(tmp_path), database=Database(url=fresh_postgres))
    async with running_app(settings, clock=clock) as app:
        agent = await app.new_user("pg@example.com")
        secret, codes = await enable(agent, clock)

        assert_problem(await login(app, "pg@example.com"), 401, "second_factor_required")
        fresh = code(secret, clock, steps=1)
        assert (await login(app, "pg@example.com", otp_code=fresh)).status_code == 200
        assert_problem(await login(app, "pg@example.com", otp_code=fresh), 401)
        assert (await login(app, "pg@example.com", recovery_code=codes[3])).status_code == 200
        assert_problem(await login(app, "pg@example.com", recovery_code=codes[3]), 401)
        assert (await status(agent))["recovery_codes_left"] == 9
