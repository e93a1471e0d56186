"""The embedded playback event log: appended events reach the store in batches, at
least every `seconds`, at once when a batch is full, all of them on a graceful stop, and
none is lost while the store refuses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

from voiceqr.adapters.memory.playback_events import BufferedPlaybackEvents
from voiceqr.domain.playback.events import PlaybackEvent, PlaybackEventKind
from voiceqr.domain.shared.ids import uuid7


def scan() -> PlaybackEvent:
    return PlaybackEvent(uuid7(), uuid7(), PlaybackEventKind.SCAN, datetime.now(UTC))


class Store:
    def __init__(self) -> None:
        self.batches: list[list[PlaybackEvent]] = []
        self.refusing = False

    async def __call__(self, events: Sequence[PlaybackEvent]) -> None:
        if self.refusing:
            raise ConnectionError("database away")
        self.batches.append(list(events))

    @property
    def stored(self) -> list[PlaybackEvent]:
        return [e for batch in self.batches for e in batch]


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_events_are_stored_within_the_period_and_the_rest_on_stop() -> None:
    log, store = BufferedPlaybackEvents(seconds=0.05, batch=1000), Store()
    drain = asyncio.create_task(log.drain(store))
    first = [scan() for _ in range(3)]
    for event in first:
        await log.append(event)

    await asyncio.sleep(0.2)
    assert store.stored == first

    last = scan()
    await log.append(last)
    await stop(drain)  # a graceful stop, before the period is over
    assert store.stored == [*first, last]


async def test_a_full_batch_is_handed_over_at_once_and_in_batch_sized_pieces() -> None:
    log, store = BufferedPlaybackEvents(seconds=60, batch=10), Store()
    drain = asyncio.create_task(log.drain(store))
    events = [scan() for _ in range(25)]
    for event in events:
        await log.append(event)

    await asyncio.sleep(0.05)
    await stop(drain)
    assert store.stored == events
    assert max(len(b) for b in store.batches) == 10


async def test_nothing_is_lost_while_the_store_refuses() -> None:
    log, store = BufferedPlaybackEvents(seconds=0.02, batch=1000), Store()
    store.refusing = True
    drain = asyncio.create_task(log.drain(store))
    events = [scan() for _ in range(5)]
    for event in events:
        await log.append(event)
    await asyncio.sleep(0.1)
    assert store.stored == []

    store.refusing = False
    await asyncio.sleep(0.1)
    await stop(drain)
    assert store.stored == events


async def test_past_the_limit_the_oldest_go_while_the_store_refuses() -> None:
    log, store = BufferedPlaybackEvents(seconds=0.02, batch=1000, limit=3), Store()
    store.refusing = True
    drain = asyncio.create_task(log.drain(store))
    events = [scan() for _ in range(5)]
    for event in events:
        await log.append(event)
    await asyncio.sleep(0.1)

    store.refusing = False
    await asyncio.sleep(0.1)
    await stop(drain)
    assert store.stored == events[2:]
