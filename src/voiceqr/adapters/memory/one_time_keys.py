"""Single-use keys (sign-in states, pending links) in process memory."""

from __future__ import annotations

import time
from collections.abc import Callable


class MemoryOneTimeKeys:
    """For the single embedded process; forgets everything on restart."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._used: dict[str, float] = {}  # key -> when it may be used again

    async def use(self, key: str, *, ttl_seconds: int) -> bool:
        now = self._clock()
        if len(self._used) > 100_000:
            self._used = {k: until for k, until in self._used.items() if until > now}
        until = self._used.get(key)
        if until is not None and until > now:
            return False
        self._used[key] = now + ttl_seconds
        return True
