"""API keys (P6, S4): shown once, stored hashed, scoped, revocable, rotatable with grace."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.api_keys import ApiKeys
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    ValidationError,
)

KEY_FORMAT = re.compile(r"^(vqr_[A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$")
GRACE = timedelta(hours=24)


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def keys(s: Services) -> ApiKeys:
    return s.platform.accounts.api_keys  # rotation grace: GRACE, the settings' default


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("user@example.com")


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("admin@example.com", role=Role.ADMIN)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def assert_rejected(keys: ApiKeys, token: str) -> AuthenticationFailed:
    with pytest.raises(AuthenticationFailed) as caught:
        await keys.authenticate(token)
    error = caught.value
    # One answer for every reason, so a caller learns nothing about which one it was.
    assert (error.code, error.message) == ("api_key_invalid", "The API key is not valid.")
    return error


# --- create ------------------------------------------------------------------------------


async def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(
    s: Services, keys: ApiKeys, user: User
) -> None:
    key, token = await keys.create(user, "  Museum   kiosk ", ["read", "generate"])

    match = KEY_FORMAT.match(token)
    assert match, token
    prefix, secret = match.groups()
    assert key.prefix == prefix
    assert token.startswith(key.prefix)
    assert key.name == "Museum kiosk"
    assert key.scopes == frozenset({Scope.READ, Scope.GENERATE})
    assert key.user_id == user.id
    assert key.created_at == s.clock()
    stored = s.db.api_keys[key.id]
    assert stored.secret_hash == sha256(secret)
    assert secret not in repr(stored)
    assert token not in repr(stored)


async def test_the_secret_has_at_least_192_random_bits_and_prefixes_differ(
    keys: ApiKeys, user: User
) -> None:
    made = [await keys.create(user, f"key {i}", ["read"]) for i in range(20)]
    for _, token in made:
        secret = KEY_FORMAT.match(token).group(2)  # type: ignore[union-attr]
        assert len(base64.urlsafe_b64decode(secret + "=")) * 8 >= 192
    assert len({k.prefix for k, _ in made}) == len(made)
    assert len({t for _, t in made}) == len(made)


@pytest.mark.parametrize(
    ("name", "scopes", "error", "code"),
    [
        ("", ["read"], ValidationError, "api_key_name_blank"),
        ("   ", ["read"], ValidationError, "api_key_name_blank"),
        ("x" * 101, ["read"], ValidationError, "api_key_name_too_long"),
        ("ok", [], ValidationError, "scopes_blank"),
        ("ok", ["read", "write"], ValidationError, "scope_unknown"),
        ("ok", ["admin"], PermissionDenied, "admin_scope_denied"),
        ("ok", ["read", "admin"], PermissionDenied, "admin_scope_denied"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    s: Services,
    keys: ApiKeys,
    user: User,
    name: str,
    scopes: list[str],
    error: type[Exception],
    code: str,
) -> None:
    with pytest.raises(error) as caught:
        await keys.create(user, name, scopes)
    assert getattr(caught.value, "code", None) == code
    assert s.db.api_keys == {}


async def test_a_name_of_100_characters_is_fine(keys: ApiKeys, user: User) -> None:
    key, _ = await keys.create(user, "x" * 100, ["read"])
    assert len(key.name) == 100


async def test_only_administrators_make_admin_keys(keys: ApiKeys, admin: User) -> None:
    key, token = await keys.create(admin, "ops", ["admin", "read"])
    assert key.scopes == frozenset({Scope.ADMIN, Scope.READ})
    assert await keys.authenticate(token) == (admin, key.scopes)


# --- list ----------------------------------------------------------------------------------


async def test_list_shows_the_users_keys_newest_first_revoked_included(
    s: Services, keys: ApiKeys, user: User, admin: User
) -> None:
    first, _ = await keys.create(user, "first", ["read"])
    s.clock.advance(minutes=1)
    await keys.create(user, "second", ["generate"])
    await keys.create(admin, "not yours", ["read"])
    await keys.revoke(user, first.id)

    listed = await keys.list(user)
    assert [k.name for k in listed] == ["second", "first"]
    assert listed[1].revoked_at is not None


# --- authenticate ----------------------------------------------------------------------------


async def test_a_key_signs_in_as_its_owner_with_its_scopes(keys: ApiKeys, user: User) -> None:
    _, token = await keys.create(user, "ci", ["generate"])
    assert await keys.authenticate(token) == (user, frozenset({Scope.GENERATE}))


async def test_every_bad_key_gets_the_same_error(keys: ApiKeys, user: User) -> None:
    _, token = await keys.create(user, "ci", ["read"])
    prefix, secret = KEY_FORMAT.match(token).groups()  # type: ignore[union-attr]
    other = "A" * len(secret)
    for bad in (
        "",
        "vqr_",
        "vqr__",
        f"{prefix}",
        f"{prefix}_",
        f"{prefix}_{other}",  # right prefix, wrong secret
        f"vqr_{'Z' * 12}_{secret}",  # unknown prefix
        secret,
        token + "x",
        token[:-1],
        "x" * 10_000,
    ):
        await assert_rejected(keys, bad)


async def test_a_revoked_key_stops_at_once(keys: ApiKeys, user: User) -> None:
    key, token = await keys.create(user, "ci", ["read"])
    await keys.authenticate(token)
    await keys.revoke(user, key.id)
    await assert_rejected(keys, token)


async def test_revoking_twice_changes_nothing(s: Services, keys: ApiKeys, user: User) -> None:
    key, _ = await keys.create(user, "ci", ["read"])
    revoked = await keys.revoke(user, key.id)
    s.clock.advance(hours=1)
    again = await keys.revoke(user, key.id)
    assert again.revoked_at == revoked.revoked_at == s.db.api_keys[key.id].revoked_at


@pytest.mark.parametrize("state", ["disabled", "locked", "deleted"])
async def test_a_key_of_a_disabled_locked_or_deleted_account_is_refused(
    s: Services, keys: ApiKeys, user: User, state: str
) -> None:
    _, token = await keys.create(user, "ci", ["read"])
    stored = s.db.users[user.id]
    if state == "disabled":
        stored.status = UserStatus.DISABLED
    elif state == "locked":
        stored.locked_until = s.clock() + timedelta(minutes=15)
    else:
        del s.db.users[user.id]
    await assert_rejected(keys, token)


async def test_last_used_is_noted_at_most_once_a_minute(
    s: Services, keys: ApiKeys, user: User
) -> None:
    key, token = await keys.create(user, "ci", ["read"])
    assert s.db.api_keys[key.id].last_used_at is None

    first_use = s.clock()
    await keys.authenticate(token)
    assert s.db.api_keys[key.id].last_used_at == first_use

    commits = s.uow.commits
    s.clock.advance(seconds=59)
    await keys.authenticate(token)
    assert s.db.api_keys[key.id].last_used_at == first_use
    assert s.uow.commits == commits  # no write for a use within the minute

    s.clock.advance(seconds=1)
    await keys.authenticate(token)
    assert s.db.api_keys[key.id].last_used_at == s.clock()


# --- rotate -------------------------------------------------------------------------------


async def test_rotation_keeps_the_old_secret_working_for_the_grace_period_only(
    s: Services, keys: ApiKeys, user: User
) -> None:
    key, old = await keys.create(user, "ci", ["read", "generate"])
    rotated, new = await keys.rotate(user, key.id)

    assert new != old
    assert rotated.id == key.id
    assert rotated.prefix == key.prefix
    assert new.startswith(key.prefix)
    assert rotated.scopes == key.scopes
    assert rotated.name == key.name
    assert keys.grace_ends_at(rotated) == s.clock() + GRACE
    assert (await keys.authenticate(old))[0] == user
    assert (await keys.authenticate(new))[0] == user

    s.clock.advance(hours=23, minutes=59)
    assert (await keys.authenticate(old))[0] == user

    s.clock.advance(minutes=1)
    await assert_rejected(keys, old)
    assert (await keys.authenticate(new))[0] == user
    assert keys.grace_ends_at(s.db.api_keys[key.id]) is None


async def test_rotating_again_ends_the_oldest_secret_at_once(
    s: Services, keys: ApiKeys, user: User
) -> None:
    key, first = await keys.create(user, "ci", ["read"])
    _, second = await keys.rotate(user, key.id)
    s.clock.advance(hours=1)
    _, third = await keys.rotate(user, key.id)
    await assert_rejected(keys, first)
    assert (await keys.authenticate(second))[0] == user
    assert (await keys.authenticate(third))[0] == user


async def test_revoking_also_ends_the_rotated_secret(keys: ApiKeys, user: User) -> None:
    key, old = await keys.create(user, "ci", ["read"])
    _, new = await keys.rotate(user, key.id)
    revoked = await keys.revoke(user, key.id)
    await assert_rejected(keys, old)
    await assert_rejected(keys, new)
    assert keys.grace_ends_at(revoked) is None


async def test_a_zero_grace_period_ends_the_old_secret_at_once() -> None:
    s = make_services(api_key_rotation_grace=timedelta(0))
    keys, user = s.platform.accounts.api_keys, s.add_user("user@example.com")
    key, old = await keys.create(user, "ci", ["read"])
    await keys.rotate(user, key.id)
    await assert_rejected(keys, old)


async def test_a_revoked_key_cannot_be_rotated(keys: ApiKeys, user: User) -> None:
    key, _ = await keys.create(user, "ci", ["read"])
    await keys.revoke(user, key.id)
    with pytest.raises(Conflict) as caught:
        await keys.rotate(user, key.id)
    assert caught.value.code == "api_key_revoked"


async def test_another_users_key_is_not_found_and_stays_as_it_was(
    s: Services, keys: ApiKeys, user: User, admin: User
) -> None:
    key, token = await keys.create(admin, "ops", ["read"])
    before = s.db.api_keys[key.id]
    for attempt in (keys.revoke, keys.rotate):
        with pytest.raises(NotFound) as caught:
            await attempt(user, key.id)
        assert caught.value.category is ErrorCategory.NOT_FOUND
    assert s.db.api_keys[key.id] == before
    assert (await keys.authenticate(token))[0] == admin


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(guess=st.text(max_size=120) | st.from_regex(r"vqr_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{0,60}"))
def test_nothing_but_the_issued_key_signs_in(guess: str) -> None:
    s = make_services()
    keys = s.platform.accounts.api_keys
    owner = s.add_user()

    async def check() -> None:
        key, token = await keys.create(owner, "ci", ["read"])
        if guess == token:
            return
        await assert_rejected(keys, guess)
        # The real key next to a guess with the same prefix still works.
        assert (await keys.authenticate(token))[0] == owner
        await assert_rejected(keys, f"{key.prefix}_{guess}")

    asyncio.run(check())
