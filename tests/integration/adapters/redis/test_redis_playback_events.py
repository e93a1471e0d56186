"""The production playback event log on a real Redis: the events of requests waiting at
the same moment go in one stream entry, every appended event reaches the store once,
and what a worker read but never stored (it was killed) is claimed by another."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from voiceqr.adapters.redis.playback_events import GROUP, RedisPlaybackEvents
from voiceqr.domain.playback.events import PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.ids import uuid7

pytestmark = pytest.mark.asyncio


def scan() -> PlaybackEvent:
    return PlaybackEvent(uuid7(), uuid7(), PlaybackEventKind.SCAN, datetime.now(UTC), "Phone")


@pytest.fixture
def stream() -> str:
    return f"voiceqr-test:playback:{secrets.token_hex(4)}"


class Store:
    def __init__(self) -> None:
        self.stored: list[PlaybackEvent] = []
        self.hold = asyncio.Event()
        self.hold.set()

    async def __call__(self, events: Sequence[PlaybackEvent]) -> None:
        await self.hold.wait()
        self.stored.extend(events)


async def until(condition: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Poll what another task or Redis holds until `condition` is true (bounded)."""
    async with asyncio.timeout(within):
        while not await condition():  # noqa: ASYNC110 (state outside this task: polled)
            await asyncio.sleep(0.02)


async def stopped(task: asyncio.Task[None]) -> None:
    """Stop a drain as a worker's stop does; one that does not stop fails the test."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await task


async def test_appends_at_the_same_moment_share_an_entry_and_all_are_stored_once(
    client: Redis, stream: str
) -> None:
    log = RedisPlaybackEvents(client, stream=stream, block_seconds=0.1)
    events = [scan() for _ in range(200)]

    await asyncio.gather(*(log.append(event) for event in events))

    assert await client.xlen(stream) < 20  # 200 events, a handful of entries
    store = Store()
    drain = asyncio.create_task(log.drain(store))
    await until(lambda: stored(store, 200))
    await stopped(drain)
    await log.close()
    assert sorted(e.id for e in store.stored) == sorted(e.id for e in events)
    assert store.stored[0] == next(e for e in events if e.id == store.stored[0].id)
    assert await client.xlen(stream) == 0  # stored entries are deleted


async def test_what_a_killed_worker_read_is_claimed_and_stored_by_another(
    client: Redis, stream: str
) -> None:
    web = RedisPlaybackEvents(client, stream=stream)
    events = [scan() for _ in range(5)]
    for event in events:
        await web.append(event)
    await web.close()

    # The first worker reads the events and dies before it has stored them.
    stuck = Store()
    stuck.hold.clear()
    first = RedisPlaybackEvents(client, stream=stream, block_seconds=0.1)
    first._consumer = "worker-that-dies"
    dying = asyncio.create_task(first.drain(stuck))
    await until(lambda: read_not_stored(client, stream, 5))
    await stopped(dying)
    assert stuck.stored == []

    second = RedisPlaybackEvents(client, stream=stream, block_seconds=0.1, claim_after=0.2)
    store = Store()
    drain = asyncio.create_task(second.drain(store))
    await until(lambda: stored(store, 5))
    await stopped(drain)
    assert sorted(e.id for e in store.stored) == sorted(e.id for e in events)
    assert await read_not_stored(client, stream, 0)


async def stored(store: Store, count: int) -> bool:
    return len(store.stored) == count


async def read_not_stored(client: Redis, stream: str, count: int) -> bool:
    """Whether `count` entries of the stream were read by a worker and not acknowledged."""
    try:
        summary = await client.xpending(stream, GROUP)
    except ResponseError:  # no group yet: nobody read anything
        return count == 0
    return int(summary["pending"]) == count
