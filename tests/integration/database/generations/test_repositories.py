"""The SQL repositories, the unit of work and the SQL session store, run unchanged on
SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from voiceqr.adapters.database.sessions import SqlSessionStore
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey, Scope
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import TOKEN_LIFETIMES, AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.generations.generation import (
    Generation,
    GenerationStatus,
    RetryPolicy,
    new_public_code,
)
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.errors import Conflict, ErrorCategory
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample

# Microseconds on purpose: both engines must keep them.
NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def make_user(email: str | None = None, *, role: Role = Role.USER) -> User:
    user_id = uuid7()
    return User(
        id=user_id,
        email=email or f"{user_id.hex}@example.com",
        name="Ada Lovelace",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role=role,
        created_at=NOW,
    )


def make_voice(name: str = "Aria", *, priority: int = 0, published: bool = True) -> Voice:
    return Voice(
        id=uuid7(),
        name=name,
        provider="espeak",
        provider_voice_id=f"en-{name.lower()}",
        description="A calm narrator",
        type="narration",
        language="en",
        region="GB",
        age="adult",
        style="calm",
        samples=[VoiceSample(key=f"voices/{name}/1.mp3")],
        published=published,
        priority=priority,
        created_at=NOW,
        updated_at=NOW,
    )


def make_generation(owner_id: UUID, **changes: Any) -> Generation:
    generation = Generation(
        id=uuid7(),
        owner_id=owner_id,
        voice_id=uuid7(),
        text="Hello there",
        public_code=new_public_code(),
        created_at=NOW,
    )
    return dataclasses.replace(generation, **changes)


async def add_user(uows: SqlUnitOfWorkFactory, user: User | None = None) -> User:
    user = user or make_user()
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_generations(uows: SqlUnitOfWorkFactory, *generations: Generation) -> None:
    async with uows() as uow:
        for generation in generations:
            await uow.generations.add(generation)
        await uow.commit()


# --- voices --------------------------------------------------------------------------


async def test_voice_round_trips_with_samples(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice("Ünïcode")
    voice.samples = [
        VoiceSample(key="voices/a/1.mp3", label="Calm ☕"),
        VoiceSample(key="voices/a/2.mp3"),
    ]
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
        assert await uow.voices.get(uuid7()) is None
        assert await uow.voices.count() == 1

    assert loaded == voice
    assert loaded is not None
    assert loaded.samples == [
        VoiceSample(key="voices/a/1.mp3", label="Calm ☕"),
        VoiceSample(key="voices/a/2.mp3", label="Sample"),
    ]


async def test_voice_update_keeps_created_at(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice(published=False)
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    changed = dataclasses.replace(
        voice,
        name="Renamed",
        description="Brighter",
        samples=[],
        published=True,
        priority=9,
        created_at=NOW + timedelta(days=1),
        updated_at=NOW + timedelta(hours=1),
    )
    async with uows() as uow:
        await uow.voices.update(changed)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
    assert loaded == dataclasses.replace(changed, created_at=NOW)


async def test_voice_delete(uows: SqlUnitOfWorkFactory) -> None:
    kept, gone = make_voice("Kept"), make_voice("Gone")
    async with uows() as uow:
        await uow.voices.add(kept)
        await uow.voices.add(gone)
        await uow.commit()

    async with uows() as uow:
        await uow.voices.delete(gone.id)
        await uow.voices.delete(uuid7())  # absent: not an error
        await uow.commit()

    async with uows() as uow:
        assert await uow.voices.get(gone.id) is None
        assert await uow.voices.get(kept.id) == kept
        assert await uow.voices.count() == 1


async def test_voice_list_orders_by_priority_then_name(uows: SqlUnitOfWorkFactory) -> None:
    voices = [
        make_voice("Bravo", priority=1),
        make_voice("Zulu", priority=5),
        make_voice("Alpha", priority=1, published=False),
        make_voice("Charlie", priority=0),
        make_voice("Delta", priority=-3, published=False),
    ]
    async with uows() as uow:
        for voice in voices:
            await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        every = await uow.voices.list(published_only=False)
        published = await uow.voices.list(published_only=True)

    assert [v.name for v in every] == ["Zulu", "Alpha", "Bravo", "Charlie", "Delta"]
    assert [v.name for v in published] == ["Zulu", "Bravo", "Charlie"]
    assert every[0] == voices[1]


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


# --- the mail outbox -----------------------------------------------------------------


def make_mail(
    to: str, *, created: datetime, next_attempt: datetime, **changes: Any
) -> OutboxMessage:
    message = OutboxMessage(
        id=uuid7(),
        to=to,
        subject="Confirm your email address",
        text="Hello Ada,\n\nConfirm my email: http://127.0.0.1:8000/verify-email?token=x",
        html="<p>Hello Ada, ✉</p>",
        kind="verify_email",
        created_at=created,
        next_attempt_at=next_attempt,
    )
    return dataclasses.replace(message, **changes)


async def test_mail_outbox_due_update_and_list(uows: SqlUnitOfWorkFactory) -> None:
    later_due = make_mail("b@example.com", created=NOW - timedelta(minutes=3), next_attempt=NOW)
    first_due = make_mail(
        "a@example.com",
        created=NOW - timedelta(minutes=2),
        next_attempt=NOW - timedelta(minutes=1),
    )
    not_yet = make_mail(
        "c@example.com",
        created=NOW - timedelta(minutes=1),
        next_attempt=NOW + timedelta(microseconds=1),
        attempts=1,
        last_error="smtp_unavailable: try later",
    )
    sent = make_mail(
        "d@example.com",
        created=NOW - timedelta(minutes=4),
        next_attempt=NOW - timedelta(hours=1),
        status=OutboxStatus.SENT,
        attempts=1,
        sent_at=NOW - timedelta(minutes=59),
    )
    failed = make_mail(
        "e@example.com",
        created=NOW - timedelta(minutes=5),
        next_attempt=NOW - timedelta(hours=1),
        status=OutboxStatus.FAILED,
        attempts=3,
    )
    async with uows() as uow:
        for message in (later_due, first_due, not_yet, sent, failed):
            await uow.outbox.add(message)
        await uow.commit()

    async with uows() as uow:
        due = await uow.outbox.due(now=NOW, limit=10)
        one = await uow.outbox.due(now=NOW, limit=1)
        everything = await uow.outbox.list(status=None, limit=10)
        newest_two = await uow.outbox.list(status=None, limit=2)
        failures = await uow.outbox.list(status=OutboxStatus.FAILED, limit=10)
    assert due == [first_due, later_due]
    assert one == [first_due]
    assert everything == [not_yet, first_due, later_due, sent, failed]
    assert newest_two == [not_yet, first_due]
    assert failures == [failed]
    assert due[0].status is OutboxStatus.PENDING

    # A failed attempt waits 5 minutes; a delivery is final. created_at never changes.
    retry = dataclasses.replace(first_due, created_at=NOW + timedelta(days=1))
    retry.delivery_failed("smtp_unavailable: 421", retryable=True, now=NOW)
    delivered = dataclasses.replace(later_due)
    delivered.delivered(NOW)
    async with uows() as uow:
        await uow.outbox.update(retry)
        await uow.outbox.update(delivered)
        await uow.commit()

    async with uows() as uow:
        assert await uow.outbox.due(now=NOW, limit=10) == []
        assert await uow.outbox.due(now=NOW + timedelta(minutes=5), limit=10) == [
            not_yet,
            dataclasses.replace(retry, created_at=first_due.created_at),
        ]
        sent_now = await uow.outbox.list(status=OutboxStatus.SENT, limit=10)
    assert sent_now == [delivered, sent]
    assert retry.attempts == 1
    assert retry.next_attempt_at == NOW + timedelta(minutes=5)


# --- generations ---------------------------------------------------------------------


async def test_generation_round_trips_every_field(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    plain = make_generation(owner.id)
    full = make_generation(
        owner.id,
        text="Grüße 👋 — line one\nline two",
        status=GenerationStatus.FAILED,
        attempts=3,
        next_attempt_at=NOW + timedelta(minutes=1),
        lease_expires_at=NOW + timedelta(minutes=2),
        enqueued_at=NOW - timedelta(minutes=3),
        audio_key="audio/x/1.mp3",
        audio_bytes=2**40,
        characters_billed=1234,
        error_category=ErrorCategory.PROVIDER,
        error_code="provider_down",
        error_message="The speech service is down.",
        error_detail="HTTP 503",
        updated_at=NOW + timedelta(seconds=4),
        completed_at=NOW + timedelta(seconds=5),
        version=7,
    )
    await add_generations(uows, plain, full)

    async with uows() as uow:
        assert await uow.generations.get(plain.id) == plain
        loaded = await uow.generations.get(full.id)
        assert await uow.generations.get_by_code(full.public_code) == full
        assert await uow.generations.get(uuid7()) is None
        assert await uow.generations.get_by_code("no-such-code-here") is None

    assert loaded == full
    assert loaded is not None
    assert loaded.status is GenerationStatus.FAILED
    assert loaded.error_category is ErrorCategory.PROVIDER


async def test_get_owned_hides_other_owners_generations(uows: SqlUnitOfWorkFactory) -> None:
    owner, stranger = await add_user(uows), await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        assert await uow.generations.get_owned(generation.id, owner.id) == generation
        assert await uow.generations.get_owned(generation.id, stranger.id) is None
        assert await uow.generations.get_owned(uuid7(), owner.id) is None


async def test_list_owned_is_newest_first(uows: SqlUnitOfWorkFactory) -> None:
    owner, stranger = await add_user(uows), await add_user(uows)
    oldest = make_generation(owner.id, created_at=NOW - timedelta(hours=2))
    middle = make_generation(owner.id, created_at=NOW - timedelta(hours=1))
    # Same creation time: the later (time-ordered) id is the newer one.
    ms = int(NOW.timestamp() * 1000)
    newest = make_generation(owner.id, id=uuid7(ms + 1), created_at=NOW)
    tied = make_generation(owner.id, id=uuid7(ms), created_at=NOW)
    theirs = make_generation(stranger.id, created_at=NOW + timedelta(hours=1))
    await add_generations(uows, middle, theirs, tied, newest, oldest)

    async with uows() as uow:
        everything = await uow.generations.list_owned(owner.id, limit=10)
        first_two = await uow.generations.list_owned(owner.id, limit=2)
        nobody = await uow.generations.list_owned(uuid7(), limit=10)

    assert everything == [newest, tied, middle, oldest]
    assert first_two == [newest, tied]
    assert nobody == []


async def test_update_saves_changes_and_bumps_version(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        current = await uow.generations.get(generation.id)
        assert current is not None
        current.claim(NOW, LEASE)
        await uow.generations.update(current)
        assert current.version == 1
        current.complete(
            audio_key="audio/1.mp3", audio_bytes=2048, characters_billed=11, now=NOW + LEASE / 2
        )
        await uow.generations.update(current)
        assert current.version == 2
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded == current
    assert loaded is not None
    assert loaded.status is GenerationStatus.COMPLETED
    assert loaded.attempts == 1
    assert loaded.version == 2


async def test_update_with_stale_copy_is_conflict_and_changes_nothing(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        stale = await uow.generations.get(generation.id)
    assert stale is not None

    async with uows() as uow:
        fresh = await uow.generations.get(generation.id)
        assert fresh is not None
        fresh.claim(NOW, LEASE)
        await uow.generations.update(fresh)
        await uow.commit()

    async with uows() as uow:
        stale.claim(NOW + timedelta(seconds=30), LEASE * 2)
        stale.text = "overwritten"
        with pytest.raises(Conflict) as raised:
            await uow.generations.update(stale)
        assert raised.value.code == "stale_generation"
        assert stale.version == 0
        await uow.commit()

    async with uows() as uow:
        assert await uow.generations.get(generation.id) == fresh

    # The same within one transaction: two copies read, the second save loses.
    async with uows() as uow:
        first = await uow.generations.get(generation.id)
        second = await uow.generations.get(generation.id)
        assert first is not None
        assert second is not None
        first.expire_lease(now=NOW + LEASE, policy=RetryPolicy())
        await uow.generations.update(first)
        second.error_code = "nope"
        with pytest.raises(Conflict) as raised:
            await uow.generations.update(second)
        assert raised.value.code == "stale_generation"
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded == first
    assert loaded is not None
    assert loaded.version == 2


async def test_due_for_enqueue(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    o = owner.id
    new = make_generation(o)
    due_retry = make_generation(o, next_attempt_at=NOW - timedelta(minutes=1))
    due_exactly = make_generation(o, next_attempt_at=NOW)
    long_ago_enqueued = make_generation(o, enqueued_at=NOW - timedelta(minutes=10))
    not_due = make_generation(o, next_attempt_at=NOW + timedelta(microseconds=1))
    recently_enqueued = make_generation(o, enqueued_at=NOW - timedelta(seconds=10))
    processing = make_generation(
        o, status=GenerationStatus.PROCESSING, attempts=1, lease_expires_at=NOW + LEASE
    )
    completed = make_generation(o, status=GenerationStatus.COMPLETED, attempts=1)
    failed = make_generation(o, status=GenerationStatus.FAILED, attempts=5)
    await add_generations(
        uows,
        new,
        due_retry,
        due_exactly,
        long_ago_enqueued,
        not_due,
        recently_enqueued,
        processing,
        completed,
        failed,
    )

    async with uows() as uow:
        due = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(minutes=1), limit=100
        )
        limited = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(minutes=1), limit=2
        )

    expected = {new.id, due_retry.id, due_exactly.id, long_ago_enqueued.id}
    assert {g.id for g in due} == expected
    assert len(due) == len(expected)
    assert len(limited) == 2
    assert {g.id for g in limited} <= expected
    assert next(g for g in due if g.id == due_retry.id) == due_retry


async def test_with_expired_lease(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)

    def processing(lease_expires_at: datetime) -> Generation:
        return make_generation(
            owner.id,
            status=GenerationStatus.PROCESSING,
            attempts=1,
            lease_expires_at=lease_expires_at,
        )

    expired = processing(NOW - timedelta(minutes=1))
    expired_now = processing(NOW)
    expired_longer_ago = processing(NOW - timedelta(hours=1))
    live = processing(NOW + timedelta(microseconds=1))
    pending = make_generation(owner.id, lease_expires_at=NOW - timedelta(hours=1))
    completed = make_generation(
        owner.id, status=GenerationStatus.COMPLETED, lease_expires_at=NOW - timedelta(hours=1)
    )
    await add_generations(uows, expired, expired_now, live, pending, completed, expired_longer_ago)

    async with uows() as uow:
        found = await uow.generations.with_expired_lease(now=NOW, limit=100)
        oldest = await uow.generations.with_expired_lease(now=NOW, limit=1)

    assert [g.id for g in found] == [expired_longer_ago.id, expired.id, expired_now.id]
    assert oldest == [expired_longer_ago]


async def test_mark_enqueued(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    first, second, untouched = (make_generation(owner.id) for _ in range(3))
    running = make_generation(
        owner.id, status=GenerationStatus.PROCESSING, attempts=1, lease_expires_at=NOW + LEASE
    )
    await add_generations(uows, first, second, untouched, running)

    async with uows() as uow:
        await uow.generations.mark_enqueued([], now=NOW)  # nothing to do
        await uow.generations.mark_enqueued([first.id, second.id, running.id], now=NOW)
        await uow.commit()

    async with uows() as uow:
        loaded = {
            g.id: await uow.generations.get(g.id) for g in (first, second, untouched, running)
        }
        due = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(seconds=30), limit=100
        )
        due_later = await uow.generations.due_for_enqueue(
            now=NOW + timedelta(minutes=5), enqueued_before=NOW + timedelta(seconds=1), limit=100
        )

    assert loaded[first.id] == dataclasses.replace(first, enqueued_at=NOW)
    assert loaded[second.id] == dataclasses.replace(second, enqueued_at=NOW)
    assert loaded[untouched.id] == untouched
    assert loaded[running.id] == running  # only pending rows are marked
    assert [g.id for g in due] == [untouched.id]
    assert {g.id for g in due_later} == {first.id, second.id, untouched.id}


async def test_aware_datetimes_round_trip_exactly_as_utc(uows: SqlUnitOfWorkFactory) -> None:
    plus_five_thirty = timezone(timedelta(hours=5, minutes=30))
    minus_eight = timezone(timedelta(hours=-8))
    created = datetime(2026, 1, 1, 0, 30, 0, 1, tzinfo=plus_five_thirty)  # 2025-12-31 19:00 UTC
    lease = datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=minus_eight)
    owner = await add_user(uows, dataclasses.replace(make_user(), created_at=created))
    generation = make_generation(
        owner.id,
        created_at=created,
        lease_expires_at=lease,
        next_attempt_at=NOW,
        status=GenerationStatus.PROCESSING,
        attempts=1,
    )
    await add_generations(uows, generation)

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
        loaded_owner = await uow.users.get(owner.id)
        expired = await uow.generations.with_expired_lease(
            now=lease.astimezone(UTC) + timedelta(microseconds=1), limit=10
        )
        not_yet = await uow.generations.with_expired_lease(
            now=lease - timedelta(microseconds=1), limit=10
        )

    assert loaded is not None
    assert loaded_owner is not None
    for value, original in (
        (loaded.created_at, created),
        (loaded.lease_expires_at, lease),
        (loaded.next_attempt_at, NOW),
        (loaded_owner.created_at, created),
    ):
        assert value is not None
        assert value == original
        assert value.utcoffset() == timedelta(0)
        assert value.replace(tzinfo=None) == original.astimezone(UTC).replace(tzinfo=None)
    assert [g.id for g in expired] == [generation.id]
    assert not_yet == []


# --- scans and listens ---------------------------------------------------------------


async def test_playback_events_counts(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    busy, listened, quiet = (make_generation(owner.id) for _ in range(3))
    await add_generations(uows, busy, listened, quiet)

    def event(generation: Generation, kind: PlaybackEventKind) -> PlaybackEvent:
        return PlaybackEvent(
            id=uuid7(),
            generation_id=generation.id,
            kind=kind,
            occurred_at=NOW,
            user_agent="Mozilla/5.0 (Test)",
        )

    async with uows() as uow:
        for item in (
            event(busy, PlaybackEventKind.SCAN),
            event(busy, PlaybackEventKind.SCAN),
            event(busy, PlaybackEventKind.LISTEN),
            event(listened, PlaybackEventKind.LISTEN),
            PlaybackEvent(
                id=uuid7(),
                generation_id=listened.id,
                kind=PlaybackEventKind.LISTEN,
                occurred_at=NOW,
            ),
        ):
            await uow.playback_events.add(item)
        await uow.commit()

    unknown = uuid7()
    async with uows() as uow:
        counts = await uow.playback_events.counts([busy.id, listened.id, quiet.id, unknown])
        some = await uow.playback_events.counts([listened.id])
        none = await uow.playback_events.counts([])

    assert counts == {
        busy.id: PlaybackCounts(scans=2, listens=1),
        listened.id: PlaybackCounts(scans=0, listens=2),
        quiet.id: PlaybackCounts(scans=0, listens=0),
        unknown: PlaybackCounts(scans=0, listens=0),
    }
    assert some == {listened.id: PlaybackCounts(scans=0, listens=2)}
    assert none == {}


# --- the unit of work ----------------------------------------------------------------


async def test_unit_of_work_rolls_back_unless_committed(uows: SqlUnitOfWorkFactory) -> None:
    forgotten = make_user()
    async with uows() as uow:
        await uow.users.add(forgotten)

    failed = make_user()

    async def add_then_fail() -> None:
        async with uows() as uow:
            await uow.users.add(failed)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    # Work after a commit is a new transaction, rolled back too unless committed.
    kept, after_commit = make_user(), make_user()
    async with uows() as uow:
        await uow.users.add(kept)
        await uow.commit()
        await uow.users.add(after_commit)

    async with uows() as uow:
        assert await uow.users.get(forgotten.id) is None
        assert await uow.users.get(failed.id) is None
        assert await uow.users.get(kept.id) == kept
        assert await uow.users.get(after_commit.id) is None
        assert [u.id for u in await uow.users.list()] == [kept.id]


async def test_concurrent_claims_exactly_one_wins(
    uows: SqlUnitOfWorkFactory, database_url: str
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)
    # On PostgreSQL both read the pending row before either saves; on SQLite BEGIN
    # IMMEDIATE makes the second unit of work wait for the first, so no rendezvous.
    on_postgres = database_url.startswith("postgresql")
    both_read = asyncio.Barrier(2) if on_postgres else None

    async def claim() -> str:
        try:
            async with uows() as uow:
                current = await uow.generations.get(generation.id)
                assert current is not None
                if both_read is not None:
                    await both_read.wait()
                current.claim(NOW, LEASE)
                await uow.generations.update(current)
                await uow.commit()
        except Conflict as error:
            return error.code
        return "won"

    outcomes = await asyncio.wait_for(asyncio.gather(claim(), claim()), timeout=20)

    assert outcomes.count("won") == 1
    (lost,) = [o for o in outcomes if o != "won"]
    if on_postgres:
        assert lost == "stale_generation"
    else:
        assert lost in ("stale_generation", "illegal_transition")
    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded is not None
    assert loaded.status is GenerationStatus.PROCESSING
    assert loaded.attempts == 1
    assert loaded.version == 1
