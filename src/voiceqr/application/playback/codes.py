"""What one process remembers of public codes, so a scan reads no database.

Every scan of a printed code looks its code up; the answer (the page, or that the code
leads nowhere or was removed) is kept for `seconds`. Once that has passed, the next
lookup still gets the remembered answer while one read in the background refreshes it,
so no scan of a busy code waits behind the database (which would otherwise stall every
visitor of a popular code at once, every few seconds). That grace lasts `seconds` more:
an answer older than twice `seconds` is read again before it is served, so staleness is
bounded by twice `seconds`. The process that changes a code (a delete,
a completed revision) forgets it at once through `forget`, and then waits for the new
answer. Lookups of a code nobody remembers share one read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class CodeCache(Generic[T]):
    def __init__(
        self,
        *,
        seconds: float,
        capacity: int = 10_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._seconds = seconds
        self.seconds = seconds
        self._capacity = capacity
        self._now = now
        self._entries: dict[str, tuple[float, T]] = {}  # code: (when it was read, answer)
        self._reading: dict[str, asyncio.Future[T]] = {}
        # Every read still running, forgotten ones too: the event loop keeps only weak
        # references to tasks, so a refresh nobody waits for, once `forget` dropped it
        # from `_reading`, was collected mid-read ("Task was destroyed but it is pending").
        self._running: set[asyncio.Future[T]] = set()

    async def get(self, code: str, read: Callable[[str], Awaitable[T]]) -> T:
        """The remembered answer for `code`, or `read(code)`'s, remembered from now on."""
        entry = self._entries.get(code)
        if entry is not None:
            age = self._now() - entry[0]
            if age < self._seconds:
                return entry[1]
            if age < 2 * self._seconds:
                if code not in self._reading:
                    self._start_read(code, read).add_done_callback(_log_refresh_failure)
                return entry[1]
        reading = self._reading.get(code) or self._start_read(code, read)
        return await asyncio.shield(reading)

    def forget(self, code: str) -> None:
        """Drop what is remembered of `code`, and any read of it now under way."""
        self._entries.pop(code, None)
        self._reading.pop(code, None)

    def _start_read(self, code: str, read: Callable[[str], Awaitable[T]]) -> asyncio.Future[T]:
        task = asyncio.ensure_future(self._read(code, read))
        self._reading[code] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    async def _read(self, code: str, read: Callable[[str], Awaitable[T]]) -> T:
        try:
            value = await read(code)
        finally:
            # Still the current read of `code`, unless it was forgotten meanwhile (then
            # what was read may be the old answer, and is not remembered).
            current = self._reading.get(code) is asyncio.current_task()
            if current:
                del self._reading[code]
        if current and self._seconds > 0:
            self._remember(code, value)
        return value

    def _remember(self, code: str, value: T) -> None:
        if len(self._entries) >= self._capacity:
            # Oldest first: dicts keep insertion order; a tenth goes at once.
            for old in list(self._entries)[: max(1, self._capacity // 10)]:
                del self._entries[old]
        self._entries.pop(code, None)
        self._entries[code] = (self._now(), value)


def _log_refresh_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning(
            "a public code could not be refreshed; the last answer stays",
            exc_info=task.exception(),
        )
