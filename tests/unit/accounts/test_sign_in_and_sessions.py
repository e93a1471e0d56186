"""Accounts and sessions: creating users, signing in and out, and how long a session lasts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import Client, hash_token
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCategory,
    ValidationError,
)

CLIENT = Client(ip="203.0.113.7", user_agent="pytest")
PASSWORD = "correct horse battery"


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_creating_a_user_normalizes_the_email_and_hashes_the_password(s: Services) -> None:
    user = await s.accounts.create_user(
        email="  Ann.Lee@Example.COM ", name=" ", password=PASSWORD, role=Role.USER, actor=OPERATOR
    )
    stored = s.db.users[user.id]
    assert stored.email == "ann.lee@example.com"
    assert stored.name  # a blank name falls back to something readable
    assert PASSWORD not in stored.password_hash
    assert stored.role is Role.USER
    assert await s.accounts.get_by_email("ANN.LEE@example.com") == stored


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", PASSWORD, "email_invalid"),
        ("ann@example.com", "short", "password_too_short"),
        ("ann@example.com", "x" * 1025, "password_too_long"),
    ],
)
async def test_creating_a_user_validates_email_and_password(
    s: Services, email: str, password: str, code: str
) -> None:
    with pytest.raises(ValidationError) as error:
        await s.accounts.create_user(
            email=email, name="Ann", password=password, role=Role.USER, actor=OPERATOR
        )
    assert error.value.code == code
    assert s.db.users == {}


async def test_an_email_can_have_only_one_account(s: Services) -> None:
    await s.accounts.create_user(
        email="ann@example.com", name="Ann", password=PASSWORD, role=Role.USER, actor=OPERATOR
    )
    with pytest.raises(Conflict) as error:
        await s.accounts.create_user(
            email="ANN@example.com",
            name="Other",
            password=PASSWORD,
            role=Role.ADMIN,
            actor=OPERATOR,
        )
    assert error.value.code == "email_taken"
    assert [u.name for u in await s.accounts.list_users(OPERATOR)] == ["Ann"]


async def test_signing_in_with_the_right_password_gives_a_working_session(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)

    signed_in = await s.accounts.sign_in(client=CLIENT, email=" Ann@Example.com", password=PASSWORD)

    assert signed_in.user.id == user.id
    assert signed_in.session.expires_at == s.clock() + timedelta(hours=12)
    assert len(signed_in.token) >= 43  # 256 random bits
    assert signed_in.token not in s.sessions.sessions  # stored by hash only
    assert hash_token(signed_in.token) in s.sessions.sessions
    assert await s.accounts.user_for_session(signed_in.token) == user
    other = await s.accounts.sign_in(client=CLIENT, email="ann@example.com", password=PASSWORD)
    assert other.token != signed_in.token


async def test_wrong_password_and_unknown_email_fail_the_same_way(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    errors = []
    for email, password in (
        ("ann@example.com", PASSWORD + "!"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ):
        with pytest.raises(AuthenticationFailed) as error:
            await s.accounts.sign_in(client=CLIENT, email=email, password=password)
        errors.append((error.value.code, error.value.message, error.value.category))
    assert (
        errors
        == [
            ("bad_credentials", "The email or password is not right.", ErrorCategory.AUTHENTICATION)
        ]
        * 3
    )
    assert s.hasher.verified == 3  # unknown and malformed emails are hashed too (same timing)
    assert s.sessions.sessions == {}


async def test_a_session_ends_after_being_idle_too_long() -> None:
    s = make_services(session_idle=timedelta(minutes=30), session_absolute=timedelta(hours=12))
    user = s.add_user(password=PASSWORD)
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    s.clock.advance(minutes=29)
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=29)  # 58 min after signing in, 29 after the last visit
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=30)
    assert await s.accounts.user_for_session(token) is None
    assert s.sessions.sessions == {}  # an expired session is removed
    s.clock.advance(seconds=1)
    assert await s.accounts.user_for_session(token) is None


async def test_a_session_ends_at_its_absolute_limit_however_busy() -> None:
    s = make_services(session_idle=timedelta(hours=2), session_absolute=timedelta(hours=12))
    user = s.add_user(password=PASSWORD)
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    for _ in range(7):  # every 90 minutes, up to 10.5 h
        s.clock.advance(minutes=90)
        assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=89)  # 11 h 59 min
    assert await s.accounts.user_for_session(token) == user
    s.clock.advance(minutes=1)
    assert await s.accounts.user_for_session(token) is None


async def test_signing_out_ends_the_session(s: Services) -> None:
    user = s.add_user(password=PASSWORD)
    keep = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token
    token = (await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)).token

    await s.accounts.sign_out(token)

    assert await s.accounts.user_for_session(token) is None
    assert await s.accounts.user_for_session(keep) == user  # other devices stay signed in
    await s.accounts.sign_out(token)  # twice is fine
    assert await s.accounts.user_for_session("never-issued") is None


async def test_an_outdated_password_hash_is_upgraded_on_sign_in(s: Services) -> None:
    user = s.add_user(password=PASSWORD)
    s.hasher.scheme = "fake2"
    await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)
    upgraded = s.db.users[user.id].password_hash
    assert upgraded.startswith("$fake2$")
    assert await s.accounts.sign_in(client=CLIENT, email=user.email, password=PASSWORD)
