"""The playback event log of the embedded platform: a buffer in this process.

The page appends to a list (no I/O on the request); `drain` hands the list to the
database at least every `seconds`, sooner when it holds `batch` events, and once more
when cancelled (a graceful stop). A process killed outright loses at most what came
since the last hand-over. While the database refuses, events wait here, up to `limit`;
past that the oldest go, and the log says how many.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from voiceqr.application.playback.ports import StoreEvents
from voiceqr.domain.playback.events import PlaybackEvent

log = logging.getLogger(__name__)


class BufferedPlaybackEvents:
    def __init__(self, *, seconds: float = 1.0, batch: int = 2_000, limit: int = 1_000_000) -> None:
        self._seconds = seconds
        self._batch = batch
        self._limit = limit
        self._pending: list[PlaybackEvent] = []
        self._full = asyncio.Event()

    async def append(self, event: PlaybackEvent) -> None:
        self._pending.append(event)
        if len(self._pending) >= self._batch:
            self._full.set()

    async def drain(self, store: StoreEvents) -> None:
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), self._seconds)
                self._full.clear()
                await self._hand_over(store)
        finally:
            await self._hand_over(store)

    async def _hand_over(self, store: StoreEvents) -> None:
        while self._pending:
            batch = self._pending[: self._batch]
            try:
                await store(batch)
            except Exception:
                log.exception("playback events not stored yet: %d waiting", len(self._pending))
                self._drop_overflow()
                return
            del self._pending[: len(batch)]

    def _drop_overflow(self) -> None:
        over = len(self._pending) - self._limit
        if over > 0:
            del self._pending[:over]
            log.error("playback events dropped: %d (the database refused for too long)", over)
