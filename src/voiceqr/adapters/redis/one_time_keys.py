"""Single-use keys (sign-in states, pending links) in Redis, shared by every app process."""

from __future__ import annotations

from redis.asyncio import Redis


class RedisOneTimeKeys:
    """SET NX with an expiry: the first use wins in every app process."""

    def __init__(self, client: Redis, *, prefix: str = "voiceqr:once") -> None:
        self._redis = client
        self._prefix = prefix

    async def use(self, key: str, *, ttl_seconds: int) -> bool:
        return bool(await self._redis.set(f"{self._prefix}:{key}", b"1", nx=True, ex=ttl_seconds))
