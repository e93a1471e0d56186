"""The production Redis adapters against a real Redis: sign-in sessions and rate limits.

They must behave exactly like the embedded ones (`SqlSessionStore`, `MemoryRateLimiter`)
that the rest of the tests use.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from redis.asyncio import Redis

from voiceqr.adapters.redis.rate_limits import RedisRateLimiter
from voiceqr.adapters.redis.sessions import RedisSessionStore
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.redis

NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)


@pytest.fixture
def store(client: Redis) -> RedisSessionStore:
    return RedisSessionStore(client)


def make_session(user_id: UUID, token_hash: str, **changes: Any) -> Session:
    session = Session(
        token_hash=token_hash,
        user_id=user_id,
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


# --- sessions ------------------------------------------------------------------------


async def test_sessions_add_get_touch_reauthenticate_delete(store: RedisSessionStore) -> None:
    user = uuid7()
    session = make_session(user, "a" * 64)
    remembered = make_session(
        user,
        "r" * 64,
        remember_me=True,
        expires_at=NOW + timedelta(days=30),
        idle_expires_at=NOW + timedelta(days=30),
        reauthenticated_at=None,
        id=None,
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
    touched = await store.get(session.token_hash)
    assert touched == dataclasses.replace(
        session,
        last_seen_at=later,
        idle_expires_at=later + timedelta(hours=2),
        reauthenticated_at=later,
    )
    assert touched is not None
    assert touched.last_seen_at.utcoffset() == timedelta(0)
    assert await store.get(remembered.token_hash) == remembered
    assert await store.get("c" * 64) is None  # a change to an absent session creates nothing

    await store.delete(session.token_hash)
    await store.delete("c" * 64)  # absent: not an error
    assert await store.get(session.token_hash) is None
    assert await store.get(remembered.token_hash) == remembered
    assert await store.list_for_user(user) == [remembered]


async def test_a_session_views_as_a_user_until_a_time_and_stops_once(
    store: RedisSessionStore,
) -> None:
    session = make_session(uuid7(), "v" * 64)
    await store.add(session)
    viewed, until = uuid7(), NOW + timedelta(minutes=15, microseconds=3)

    await store.start_viewing(session.token_hash, user_id=viewed, until=until)

    assert await store.get(session.token_hash) == dataclasses.replace(
        session, viewing_user_id=viewed, viewing_until=until
    )
    assert await store.stop_viewing(session.token_hash) is True
    assert await store.stop_viewing(session.token_hash) is False
    assert await store.stop_viewing("z" * 64) is False
    assert await store.get("z" * 64) is None  # stopping an absent session creates nothing
    assert await store.get(session.token_hash) == session


async def test_sessions_list_and_end_a_users_sessions(store: RedisSessionStore) -> None:
    user, other = uuid7(), uuid7()
    oldest = make_session(user, "1" * 64, last_seen_at=NOW - timedelta(hours=2))
    newest = make_session(user, "2" * 64, last_seen_at=NOW)
    middle = make_session(user, "3" * 64, last_seen_at=NOW - timedelta(hours=1))
    theirs = make_session(other, "4" * 64)
    for session in (oldest, newest, middle, theirs):
        await store.add(session)

    assert await store.list_for_user(user) == [newest, middle, oldest]
    assert await store.list_for_user(uuid7()) == []

    assert await store.delete_for_user(user, keep=middle.token_hash) == 2
    assert await store.list_for_user(user) == [middle]
    assert await store.get(oldest.token_hash) is None
    assert await store.list_for_user(other) == [theirs]

    assert await store.delete_for_user(user) == 1
    assert await store.delete_for_user(user) == 0
    assert await store.list_for_user(user) == []
    assert await store.get(theirs.token_hash) == theirs


async def test_redis_forgets_a_session_at_its_absolute_end(
    store: RedisSessionStore, client: Redis
) -> None:
    user = uuid7()
    short = make_session(user, "s" * 64, expires_at=NOW + timedelta(seconds=1))
    day = make_session(user, "d" * 64, expires_at=NOW + timedelta(hours=24))
    await store.add(short)
    await store.add(day)

    keys = {k.decode() if isinstance(k, bytes) else k for k in await client.keys("*")}
    ttls = {key: await client.ttl(key) for key in keys if "s" * 64 in key or "d" * 64 in key}
    assert sorted(ttls.values()) == [1, 24 * 3600]
    # Changes keep the expiry.
    await store.touch(day.token_hash, last_seen_at=NOW, idle_expires_at=NOW)
    await store.mark_reauthenticated(day.token_hash, at=NOW)
    (day_key,) = [key for key in ttls if "d" * 64 in key]
    assert 24 * 3600 - 5 <= await client.ttl(day_key) <= 24 * 3600

    await asyncio.sleep(1.1)
    assert await store.get(short.token_hash) is None
    # The user's index forgets it too, at the next listing.
    assert await store.list_for_user(user) == [
        dataclasses.replace(day, idle_expires_at=NOW, reauthenticated_at=NOW)
    ]
    assert await client.smembers(f"voiceqr:sessions-of:{user}") == {b"d" * 64}
    assert await store.delete_for_user(user) == 1


async def test_a_change_racing_a_sign_out_does_not_bring_the_session_back(
    store: RedisSessionStore, client: Redis
) -> None:
    """A request still touching a session while the user signs out must not resurrect
    it (without an expiry, and unknown to 'sign out everywhere')."""
    user = uuid7()
    session = make_session(user, "a" * 64)
    await store.add(session)
    original_get = client.get
    signed_out = asyncio.Event()

    async def get_then_sign_out(name: Any) -> Any:
        raw = await original_get(name)
        if not signed_out.is_set():
            signed_out.set()
            await store.delete(session.token_hash)  # lands between the read and the write
        return raw

    client.get = get_then_sign_out  # type: ignore[method-assign]
    try:
        await store.touch(session.token_hash, last_seen_at=NOW, idle_expires_at=NOW)
    finally:
        client.get = original_get  # type: ignore[method-assign]

    assert signed_out.is_set()
    assert await store.get(session.token_hash) is None
    assert await client.keys("voiceqr:session:*") == []


# --- rate limits ---------------------------------------------------------------------


async def test_rate_limit_allows_the_limit_then_refuses(client: Redis) -> None:
    limiter = RedisRateLimiter(client)

    allowed = [
        await limiter.hit("signin:ip:203.0.113.7", limit=3, window_seconds=60) for _ in range(5)
    ]
    other = await limiter.hit("signin:ip:203.0.113.8", limit=3, window_seconds=60)

    assert allowed == [True, True, True, False, False]
    assert other is True
    # Every counter expires with its window: Redis is never filled with old counters.
    for key in await client.keys("voiceqr:rate:*"):
        assert 0 < await client.ttl(key) <= 61


async def test_a_new_window_starts_afresh(client: Redis) -> None:
    limiter = RedisRateLimiter(client)
    key = "register:ip:198.51.100.1"
    assert [await limiter.hit(key, limit=2, window_seconds=1) for _ in range(3)] == [
        True,
        True,
        False,
    ]

    await asyncio.sleep(1.1)

    assert await limiter.hit(key, limit=2, window_seconds=1) is True


async def test_reset_clears_only_that_key(client: Redis) -> None:
    limiter = RedisRateLimiter(client)
    keys = ["2fa:user:1", "2fa:user:12", "signin:ip:::1", "signin:ip:::1:5", "signin:email:*@x.io"]
    for key in keys:
        for _ in range(3):
            await limiter.hit(key, limit=2, window_seconds=60)
        assert await limiter.hit(key, limit=2, window_seconds=60) is False

    await limiter.reset("2fa:user:1")
    await limiter.reset("signin:ip:::1")
    await limiter.reset("signin:email:*@x.io")
    await limiter.reset("never:used")

    assert await limiter.hit("2fa:user:1", limit=2, window_seconds=60) is True
    assert await limiter.hit("signin:ip:::1", limit=2, window_seconds=60) is True
    assert await limiter.hit("signin:email:*@x.io", limit=2, window_seconds=60) is True
    assert await limiter.hit("2fa:user:12", limit=2, window_seconds=60) is False
    assert await limiter.hit("signin:ip:::1:5", limit=2, window_seconds=60) is False


async def test_the_limit_holds_under_concurrent_hits(client: Redis) -> None:
    limiter = RedisRateLimiter(client)
    results = await asyncio.gather(
        *(
            limiter.hit("signin:email:ada@example.com", limit=10, window_seconds=60)
            for _ in range(30)
        )
    )
    assert results.count(True) == 10
