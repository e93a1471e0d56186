"""Fixed-window rate limits in Redis (production), shared by every app process."""

from __future__ import annotations

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
