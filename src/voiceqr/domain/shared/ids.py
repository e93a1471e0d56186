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
_RANDOM_BYTES = 10  # 80 bits read per id, the top 74 kept
_POOL_BYTES = 4096  # read from the OS at once: one system call per 409 ids
_last = (0, 0)  # (unix_ms, random part) of the latest id made without an explicit time
_lock = threading.Lock()
_pool = b""
_taken = 0


def _random_part() -> int:
    """74 random bits from the OS's generator, read ahead in blocks. Each read releases the
    interpreter's lock, and a busy thread beside the event loop then held it for a while:
    one read per id cost a scan's page more than the rest of making its event."""
    global _pool, _taken
    with _lock:
        if _taken + _RANDOM_BYTES > len(_pool):
            _pool, _taken = os.urandom(_POOL_BYTES), 0
        chunk = _pool[_taken : _taken + _RANDOM_BYTES]
        _taken += _RANDOM_BYTES
    return int.from_bytes(chunk, "big") >> (8 * _RANDOM_BYTES - _RANDOM_BITS)


def _forget_pool() -> None:
    # A forked child must not hand out the bits its parent read ahead (nor the parent's
    # last id): two processes would make the same ids in the same millisecond.
    global _pool, _taken, _last, _lock
    _pool, _taken, _last, _lock = b"", 0, (0, 0), threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def _compose(ms: int, random_part: int) -> UUID:
    rand_a = random_part >> 62 & 0xFFF
    rand_b = random_part & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)


def uuid7(unix_ms: int | None = None) -> UUID:
    """A new id; `unix_ms` pins its time (tests and backfills), unordered within it."""
    random_part = _random_part()
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
