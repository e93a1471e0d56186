"""Fixed-window rate limits in process memory."""

from __future__ import annotations

import time
from collections.abc import Callable


class MemoryRateLimiter:
    """For the single embedded process; forgets everything on restart."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, int], int] = {}

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        window = int(self._clock()) // window_seconds
        if len(self._counts) > 100_000:  # old windows are never read again
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
        count = self._counts.get((key, window), 0) + 1
        self._counts[(key, window)] = count
        return count <= limit

    async def reset(self, key: str) -> None:
        for entry in [k for k in self._counts if k[0] == key]:
            del self._counts[entry]
