"""Fixed-window rate limits: in process memory (embedded) or in Redis (production)."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis.asyncio import Redis


class RedisRateLimiter:
    """One counter per key, shared by every app process: the window opens at the first
    hit and the counter expires with it, so `reset` is a single DELETE."""

    def __init__(self, client: Redis, *, prefix: str = "voiceqr:rate") -> None:
        self._redis = client
        self._prefix = prefix

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        name = f"{self._prefix}:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_seconds, nx=True)  # a new window, if none is open
            pipe.incr(name)  # keeps the expiry
            _, count = await pipe.execute()
        return int(count) <= limit

    async def reset(self, key: str) -> None:
        await self._redis.delete(f"{self._prefix}:{key}")


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
