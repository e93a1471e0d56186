"""Time-ordered identifiers (UUIDv7, RFC 9562), so new rows sort after old ones."""

from __future__ import annotations

import os
import time
from uuid import UUID


def uuid7(unix_ms: int | None = None) -> UUID:
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68 & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)
