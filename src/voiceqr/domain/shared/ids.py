"""Time-ordered identifiers (UUIDv7, RFC 9562), so new rows sort after old ones.

Within one process the ids are strictly increasing, also when several are made in
the same millisecond: the 74 random bits then continue from the previous id plus
one (RFC 9562, section 6.2, method 2), so a list ordered by (time, id) keeps the
order in which things happened.
"""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID

_RANDOM_BITS = 74
_last = (0, 0)  # (unix_ms, random part) of the latest id made without an explicit time
_lock = threading.Lock()


def _compose(ms: int, random_part: int) -> UUID:
    rand_a = random_part >> 62 & 0xFFF
    rand_b = random_part & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)


def uuid7(unix_ms: int | None = None) -> UUID:
    """A new id; `unix_ms` pins its time (tests and backfills), unordered within it."""
    random_part = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    if unix_ms is not None:
        return _compose(unix_ms, random_part)
    global _last
    with _lock:
        ms = time.time_ns() // 1_000_000
        last_ms, last_random = _last
        if ms <= last_ms:  # the same millisecond (or the clock stepped back): count on
            ms, random_part = last_ms, last_random + 1
            if random_part >> _RANDOM_BITS:  # 2**74 ids in one millisecond: borrow the next
                ms, random_part = ms + 1, 0
        _last = (ms, random_part)
    return _compose(ms, random_part)
