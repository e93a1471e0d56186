"""The accounts repositories, run unchanged on SQLite and on PostgreSQL: users, sessions,
account tokens, login activity, recovery codes, API keys and social identities."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.integration.database.rows import NOW, add_user, make_user
from voiceqr.adapters.database.sessions import SqlSessionStore
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.accounts.ports import UserPosition, UserQuery, UserSort
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey, Scope
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import TOKEN_LIFETIMES, AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7

# --- users and sessions --------------------------------------------------------------


async def test_user_add_get_and_get_by_email(uows: SqlUnitOfWorkFactory) -> None:
    admin = await add_user(uows, make_user("admin@example.com", role=Role.ADMIN))
    user = await add_user(uows, make_user("bob@example.com"))

    async with uows() as uow:
        assert await uow.users.get(admin.id) == admin
        assert await uow.users.get_by_email("bob@example.com") == user
        assert await uow.users.get_by_email("nobody@example.com") is None
        assert await uow.users.get(uuid7()) is None
        listed = await uow.users.list()

    loaded_admin = next(u for u in listed if u.id == admin.id)
    assert loaded_admin.role is Role.ADMIN
    assert loaded_admin.is_admin
    assert [u.email for u in listed] == ["admin@example.com", "bob@example.com"]


async def test_user_update(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    changed = dataclasses.replace(
        user, email="new@example.com", name="Grace", password_hash="h2", role=Role.ADMIN
    )
    async with uows() as uow:
        await uow.users.update(changed)
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get(user.id) == changed


async def test_duplicate_email_is_conflict_and_transaction_stays_usable(
    uows: SqlUnitOfWorkFactory,
) -> None:
    first = await add_user(uows, make_user("taken@example.com"))
    duplicate = make_user("taken@example.com")
    other = make_user("free@example.com")

    async with uows() as uow:
        with pytest.raises(Conflict) as raised:
            await uow.users.add(duplicate)
        assert raised.value.code == "email_taken"
        # The failed insert did not poison the transaction.
        await uow.users.add(other)
        assert await uow.users.get_by_email("taken@example.com") == first
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get(other.id) == other
        assert await uow.users.get(duplicate.id) is None
        assert await uow.users.get_by_email("taken@example.com") == first


async def test_user_account_columns_round_trip(uows: SqlUnitOfWorkFactory) -> None:
    plain = await add_user(uows)
    full = dataclasses.replace(
        make_user("full@example.com"),
        password_hash=None,  # signs in with a social identity only
        status=UserStatus.DISABLED,
        email_verified_at=NOW - timedelta(days=2),
        locked_until=NOW + timedelta(minutes=15),
        terms_accepted_at=NOW - timedelta(days=3),
        totp_secret="ciphertext:v1:abc==",
        totp_enabled_at=NOW - timedelta(days=1),
        totp_last_step=2**40 + 7,
        password_changed_at=NOW - timedelta(hours=1),
    )
    await add_user(uows, full)

    async with uows() as uow:
        loaded_plain = await uow.users.get(plain.id)
        loaded_full = await uow.users.get(full.id)
    assert loaded_plain == plain
    assert loaded_plain is not None
    assert loaded_plain.status is UserStatus.ACTIVE
    assert not loaded_plain.is_verified
    assert loaded_full == full
    assert loaded_full is not None
    assert loaded_full.status is UserStatus.DISABLED
    assert loaded_full.is_locked(NOW)
    assert loaded_full.has_two_factor

    # Every column can be changed back, except the id and the creation time.
    cleared = dataclasses.replace(
        full,
        password_hash="h3",
        status=UserStatus.ACTIVE,
        email_verified_at=None,
        locked_until=None,
        totp_secret=None,
        totp_enabled_at=None,
        totp_last_step=None,
        created_at=NOW + timedelta(days=9),
    )
    async with uows() as uow:
        await uow.users.update(cleared)
        await uow.commit()
    async with uows() as uow:
        assert await uow.users.get(full.id) == dataclasses.replace(cleared, created_at=NOW)


async def test_changing_to_a_taken_email_is_conflict_and_transaction_stays_usable(
    uows: SqlUnitOfWorkFactory,
) -> None:
    taken = await add_user(uows, make_user("taken@example.com"))
    mover = await add_user(uows, make_user("mover@example.com"))

    async with uows() as uow:
        with pytest.raises(Conflict) as raised:
            await uow.users.update(dataclasses.replace(mover, email="taken@example.com"))
        assert raised.value.code == "email_taken"
        await uow.users.update(dataclasses.replace(mover, name="Still Usable"))
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get(taken.id) == taken
        assert await uow.users.get(mover.id) == dataclasses.replace(mover, name="Still Usable")


# --- sessions (not in a unit of work: each call stands alone) --------------------------


def make_session(user: User, token_hash: str, **changes: Any) -> Session:
    session = Session(
        token_hash=token_hash,
        user_id=user.id,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + timedelta(hours=12),
        idle_expires_at=NOW + timedelta(hours=2),
        id=uuid7(),
        remember_me=False,
        ip="2001:db8::1",
        user_agent="Mozilla/5.0 (iPhone) Mobile Safari/604.1",
        device="mobile",
        browser="Safari",
        country="FR",
        method="password",
        reauthenticated_at=NOW,
    )
    return dataclasses.replace(session, **changes)


async def test_session_store_add_get_touch_reauthenticate_delete(
    uows: SqlUnitOfWorkFactory,
) -> None:
    store = SqlSessionStore(uows.engine)
    user = await add_user(uows)
    session = make_session(user, "a" * 64)
    remembered = make_session(
        user,
        "r" * 64,
        remember_me=True,
        expires_at=NOW + timedelta(days=30),
        idle_expires_at=NOW + timedelta(days=30),
        reauthenticated_at=None,
        method="totp",
    )
    await store.add(session)
    await store.add(remembered)

    assert await store.get(session.token_hash) == session
    assert await store.get(remembered.token_hash) == remembered
    assert await store.get("b" * 64) is None

    later = NOW + timedelta(hours=1, microseconds=7)
    await store.touch(
        session.token_hash, last_seen_at=later, idle_expires_at=later + timedelta(hours=2)
    )
    await store.mark_reauthenticated(session.token_hash, at=later)
    await store.touch("c" * 64, last_seen_at=later, idle_expires_at=later)  # absent: no error
    await store.mark_reauthenticated("c" * 64, at=later)
    assert await store.get(session.token_hash) == dataclasses.replace(
        session,
        last_seen_at=later,
        idle_expires_at=later + timedelta(hours=2),
        reauthenticated_at=later,
    )
    assert await store.get(remembered.token_hash) == remembered

    await store.delete(session.token_hash)
    await store.delete("c" * 64)  # absent: not an error
    assert await store.get(session.token_hash) is None
    assert await store.get(remembered.token_hash) == remembered


async def test_session_store_lists_and_ends_a_users_sessions(uows: SqlUnitOfWorkFactory) -> None:
    store = SqlSessionStore(uows.engine)
    user, other = await add_user(uows), await add_user(uows)
    oldest = make_session(user, "1" * 64, last_seen_at=NOW - timedelta(hours=2))
    newest = make_session(user, "2" * 64, last_seen_at=NOW)
    middle = make_session(user, "3" * 64, last_seen_at=NOW - timedelta(hours=1))
    theirs = make_session(other, "4" * 64)
    for session in (oldest, newest, middle, theirs):
        await store.add(session)

    assert await store.list_for_user(user.id) == [newest, middle, oldest]
    assert await store.list_for_user(uuid7()) == []

    assert await store.delete_for_user(user.id, keep=middle.token_hash) == 2
    assert await store.list_for_user(user.id) == [middle]
    assert await store.list_for_user(other.id) == [theirs]

    assert await store.delete_for_user(user.id) == 1
    assert await store.delete_for_user(user.id) == 0
    assert await store.list_for_user(user.id) == []
    assert await store.get(theirs.token_hash) == theirs


# --- account tokens ------------------------------------------------------------------


def make_token(user: User, purpose: TokenPurpose, **changes: Any) -> AccountToken:
    token = AccountToken(
        id=uuid7(),
        user_id=user.id,
        purpose=purpose,
        token_hash=uuid7().hex * 2,
        created_at=NOW,
        expires_at=NOW + TOKEN_LIFETIMES[purpose],
    )
    return dataclasses.replace(token, **changes)


async def test_account_tokens_round_trip_and_are_used_only_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    user = await add_user(uows)
    reset = make_token(user, TokenPurpose.RESET_PASSWORD)
    change = make_token(user, TokenPurpose.CHANGE_EMAIL, data={"email": "néw@example.com"})
    async with uows() as uow:
        await uow.account_tokens.add(reset)
        await uow.account_tokens.add(change)
        await uow.commit()

    async with uows() as uow:
        assert await uow.account_tokens.get_by_hash(reset.token_hash) == reset
        loaded = await uow.account_tokens.get_by_hash(change.token_hash)
        assert await uow.account_tokens.get_by_hash("0" * 64) is None
    assert loaded == change
    assert loaded is not None
    assert loaded.purpose is TokenPurpose.CHANGE_EMAIL
    assert loaded.data == {"email": "néw@example.com"}

    used_at = NOW + timedelta(minutes=1)
    async with uows() as uow:
        assert await uow.account_tokens.mark_used(reset.id, at=used_at) is True
        assert await uow.account_tokens.mark_used(reset.id, at=used_at) is False
        await uow.commit()
    async with uows() as uow:
        # A second use in another transaction finds it used as well.
        assert await uow.account_tokens.mark_used(reset.id, at=NOW + timedelta(hours=1)) is False
        assert await uow.account_tokens.mark_used(uuid7(), at=used_at) is False
        stored = await uow.account_tokens.get_by_hash(reset.token_hash)
    assert stored == dataclasses.replace(reset, used_at=used_at)
    assert stored is not None
    assert not stored.is_usable(NOW)


async def test_voiding_tokens_touches_only_that_users_unused_tokens_of_that_purpose(
    uows: SqlUnitOfWorkFactory,
) -> None:
    user, other = await add_user(uows), await add_user(uows)
    earlier = NOW - timedelta(hours=1)
    first = make_token(user, TokenPurpose.VERIFY_EMAIL)
    second = make_token(user, TokenPurpose.VERIFY_EMAIL)
    already_used = make_token(user, TokenPurpose.VERIFY_EMAIL, used_at=earlier)
    other_purpose = make_token(user, TokenPurpose.UNLOCK)
    other_user = make_token(other, TokenPurpose.VERIFY_EMAIL)
    tokens = (first, second, already_used, other_purpose, other_user)
    async with uows() as uow:
        for token in tokens:
            await uow.account_tokens.add(token)
        await uow.commit()

    async with uows() as uow:
        await uow.account_tokens.void(user.id, TokenPurpose.VERIFY_EMAIL, at=NOW)
        await uow.commit()

    async with uows() as uow:
        loaded = {t.id: await uow.account_tokens.get_by_hash(t.token_hash) for t in tokens}
    assert loaded[first.id] == dataclasses.replace(first, used_at=NOW)
    assert loaded[second.id] == dataclasses.replace(second, used_at=NOW)
    assert loaded[already_used.id] == already_used
    assert loaded[other_purpose.id] == other_purpose
    assert loaded[other_user.id] == other_user


# --- login activity ------------------------------------------------------------------


def make_event(user: User | None, *, success: bool, at: datetime, **changes: Any) -> LoginEvent:
    event = LoginEvent(
        id=uuid7(),
        occurred_at=at,
        email=user.email if user else "nobody@example.com",
        success=success,
        method="password",
        user_id=user.id if user else None,
        reason="" if success else "bad_credentials",
        ip="203.0.113.9",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        device="desktop",
        country="DE",
    )
    return dataclasses.replace(event, **changes)


async def test_login_events_count_failures_list_and_expire(uows: SqlUnitOfWorkFactory) -> None:
    user, other = await add_user(uows), await add_user(uows)
    old_failure = make_event(user, success=False, at=NOW - timedelta(minutes=20))
    window_start = make_event(user, success=False, at=NOW - timedelta(minutes=15))
    success = make_event(user, success=True, at=NOW - timedelta(minutes=5), method="totp")
    recent = make_event(user, success=False, at=NOW - timedelta(seconds=1), reason="locked")
    theirs = make_event(other, success=False, at=NOW)
    unknown = make_event(None, success=False, at=NOW)
    async with uows() as uow:
        for event in (old_failure, window_start, success, recent, theirs, unknown):
            await uow.login_events.add(event)
        await uow.commit()

    since = NOW - timedelta(minutes=15)
    async with uows() as uow:
        assert await uow.login_events.count_failures(user_id=user.id, since=since) == 2
        assert await uow.login_events.count_failures(user_id=other.id, since=since) == 1
        assert await uow.login_events.count_failures(user_id=uuid7(), since=since) == 0
        listed = await uow.login_events.list_for_user(user.id, limit=10)
        first_two = await uow.login_events.list_for_user(user.id, limit=2)

    assert listed == [recent, success, window_start, old_failure]
    assert first_two == [recent, success]

    async with uows() as uow:
        assert await uow.login_events.delete_before(since) == 1
        assert await uow.login_events.delete_before(since) == 0
        await uow.commit()
    async with uows() as uow:
        assert await uow.login_events.list_for_user(user.id, limit=10) == [
            recent,
            success,
            window_start,
        ]
        assert await uow.login_events.list_for_user(other.id, limit=10) == [theirs]


# --- recovery codes ------------------------------------------------------------------


async def test_recovery_codes_replace_list_and_use_once(uows: SqlUnitOfWorkFactory) -> None:
    user, other = await add_user(uows), await add_user(uows)

    def codes(owner: User, count: int) -> list[RecoveryCode]:
        return [
            RecoveryCode(id=uuid7(), user_id=owner.id, code_hash=uuid7().hex * 2, created_at=NOW)
            for _ in range(count)
        ]

    first, theirs = codes(user, 3), codes(other, 2)
    async with uows() as uow:
        await uow.recovery_codes.replace(user.id, first)
        await uow.recovery_codes.replace(other.id, theirs)
        await uow.commit()

    async with uows() as uow:
        assert by_id(await uow.recovery_codes.list_unused(user.id)) == by_id(first)
        assert await uow.recovery_codes.mark_used(first[1].id, at=NOW) is True
        assert await uow.recovery_codes.mark_used(first[1].id, at=NOW) is False
        assert await uow.recovery_codes.mark_used(uuid7(), at=NOW) is False
        await uow.commit()

    async with uows() as uow:
        assert await uow.recovery_codes.mark_used(first[1].id, at=NOW) is False
        unused = by_id(await uow.recovery_codes.list_unused(user.id))
    assert unused == by_id([first[0], first[2]])

    # Regenerating replaces every old code, used or not; nobody else's.
    second = codes(user, 2)
    async with uows() as uow:
        await uow.recovery_codes.replace(user.id, second)
        await uow.commit()
    async with uows() as uow:
        assert by_id(await uow.recovery_codes.list_unused(user.id)) == by_id(second)
        assert await uow.recovery_codes.mark_used(first[0].id, at=NOW) is False
        await uow.recovery_codes.replace(user.id, [])
        await uow.commit()
    async with uows() as uow:
        assert await uow.recovery_codes.list_unused(user.id) == []
        assert by_id(await uow.recovery_codes.list_unused(other.id)) == by_id(theirs)


def by_id(items: Any) -> list[Any]:
    """In id order (ids made in one millisecond are not ordered among themselves)."""
    return sorted(items, key=lambda item: item.id)


# --- API keys ------------------------------------------------------------------------


def make_key(user: User, prefix: str, **changes: Any) -> ApiKey:
    key = ApiKey(
        id=uuid7(),
        user_id=user.id,
        name="Museum kiosk",
        prefix=prefix,
        secret_hash="s" * 64,
        scopes=frozenset({Scope.READ, Scope.GENERATE}),
        created_at=NOW,
    )
    return dataclasses.replace(key, **changes)


async def test_api_keys_add_get_list_and_update(uows: SqlUnitOfWorkFactory) -> None:
    user, other = await add_user(uows), await add_user(uows)
    older = make_key(user, "vqr_older1", created_at=NOW - timedelta(days=1))
    newer = make_key(user, "vqr_newer1", scopes=frozenset({Scope.ADMIN}))
    theirs = make_key(other, "vqr_theirs")
    async with uows() as uow:
        for key in (older, newer, theirs):
            await uow.api_keys.add(key)
        await uow.commit()

    async with uows() as uow:
        assert await uow.api_keys.get_owned(older.id, user.id) == older
        assert await uow.api_keys.get_owned(older.id, other.id) is None
        assert await uow.api_keys.get_owned(uuid7(), user.id) is None
        by_prefix = await uow.api_keys.get_by_prefix("vqr_newer1")
        assert await uow.api_keys.get_by_prefix("vqr_nope00") is None
        assert await uow.api_keys.list_for_user(user.id) == [newer, older]
        assert await uow.api_keys.list_for_user(uuid7()) == []
    assert by_prefix == newer
    assert by_prefix is not None
    assert by_prefix.scopes == frozenset({Scope.ADMIN})

    rotated = dataclasses.replace(
        older,
        name="Renamed",
        secret_hash="t" * 64,
        scopes=frozenset({Scope.READ}),
        last_used_at=NOW + timedelta(minutes=1),
        revoked_at=NOW + timedelta(minutes=2),
        previous_secret_hash="s" * 64,
        previous_expires_at=NOW + timedelta(hours=24),
        # Never changed by an update:
        user_id=other.id,
        created_at=NOW + timedelta(days=5),
    )
    async with uows() as uow:
        await uow.api_keys.update(rotated)
        await uow.commit()
    async with uows() as uow:
        loaded = await uow.api_keys.get_owned(older.id, user.id)
    assert loaded == dataclasses.replace(rotated, user_id=user.id, created_at=older.created_at)
    assert loaded is not None
    assert not loaded.is_active()


# --- social identities ---------------------------------------------------------------


async def test_social_identities_link_once(uows: SqlUnitOfWorkFactory) -> None:
    user, other = await add_user(uows), await add_user(uows)

    def identity(owner: User, provider: str, subject: str, at: datetime) -> SocialIdentity:
        return SocialIdentity(
            id=uuid7(),
            user_id=owner.id,
            provider=provider,
            subject=subject,
            email=owner.email,
            created_at=at,
        )

    google = identity(user, "google", "1234567890", NOW)
    microsoft = identity(user, "microsoft", "oid.tid", NOW - timedelta(days=1))
    same_subject_elsewhere = identity(other, "microsoft", "1234567890", NOW)
    async with uows() as uow:
        for item in (google, microsoft, same_subject_elsewhere):
            await uow.social_identities.add(item)
        await uow.commit()

    stolen = identity(other, "google", "1234567890", NOW)
    async with uows() as uow:
        with pytest.raises(Conflict) as raised:
            await uow.social_identities.add(stolen)
        assert raised.value.code == "identity_linked"
        # The failed insert did not poison the transaction.
        extra = identity(other, "google", "other-subject", NOW + timedelta(seconds=1))
        await uow.social_identities.add(extra)
        await uow.commit()

    async with uows() as uow:
        assert await uow.social_identities.get("google", "1234567890") == google
        assert await uow.social_identities.get("microsoft", "1234567890") == (
            same_subject_elsewhere
        )
        assert await uow.social_identities.get("google", "unknown") is None
        assert await uow.social_identities.list_for_user(user.id) == [microsoft, google]
        assert await uow.social_identities.list_for_user(other.id) == [
            same_subject_elsewhere,
            extra,
        ]


async def test_the_staff_user_search_finds_prefixes_filters_and_pages(
    uows: SqlUnitOfWorkFactory,
) -> None:
    people = [
        ("ann.lee@example.com", "Ann Lee", Role.USER, 0),
        ("zed@example.com", "annabel Zed", Role.USER, 1),
        ("agent@example.com", "Agent", Role.SUPPORT, 2),
        ("percent@example.com", "100% Bob", Role.USER, 3),
    ]
    for email, name, role, minutes in people:
        user = dataclasses.replace(
            make_user(email, role=role), name=name, created_at=NOW + timedelta(minutes=minutes)
        )
        await add_user(uows, user)
    query = UserQuery(now=NOW, text="ANN", sort=UserSort.NAME)
    async with uows() as uow:
        found = [u.email for u in await uow.users.search(query)]
        assert found == ["ann.lee@example.com", "zed@example.com"]
        # LIKE's wildcards are plain characters in a search.
        assert [u.name for u in await uow.users.search(UserQuery(now=NOW, text="100%"))] == [
            "100% Bob"
        ]
        assert await uow.users.search(UserQuery(now=NOW, text="%")) == []
        staff_only = await uow.users.search(UserQuery(now=NOW, role=Role.SUPPORT))
        assert [u.email for u in staff_only] == ["agent@example.com"]
        first = await uow.users.search(UserQuery(now=NOW, limit=2))
        last = first[-1]
        after = UserPosition(last.created_at.isoformat(), last.id)
        rest = await uow.users.search(UserQuery(now=NOW, limit=2, after=after))
        assert [u.email for u in first + rest] == [p[0] for p in reversed(people)]
        by_email = await uow.users.search(
            UserQuery(
                now=NOW,
                sort=UserSort.EMAIL,
                after=UserPosition("ann.lee@example.com", first[0].id),
                signed_up_before=NOW + timedelta(minutes=3),
            )
        )
        assert [u.email for u in by_email] == ["zed@example.com"]
        assert await uow.users.count() == 4
