"""IANA time zones by name: the one rule of what a time zone a user may give or choose is
(a dashboard's `tz`, the owner's zone in their profile)."""

from __future__ import annotations

import functools
import zoneinfo
from zoneinfo import ZoneInfo

from voiceqr.domain.shared.errors import ValidationError

# Names in the time zone database that are not places: the server's own zone, and
# entries kept for old software. "UTC" stays.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules", "posix", "right"})


@functools.lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name a user may choose, sorted (read once: reading the
    time zone database takes a while)."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_PLACES and not name.startswith(("posix/", "right/"))
    }
    return tuple(sorted(names | {"UTC"}))


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone a user may choose ("Europe/Paris", "UTC")."""
    return name in _known()


def time_zone(name: str | None) -> ZoneInfo:
    """An IANA time zone by name ("Europe/Paris"); UTC when none is given."""
    if not name:
        return ZoneInfo("UTC")
    if not is_time_zone(name):
        raise ValidationError(
            f"'{name[:60]}' is not a time zone; give an IANA name such as Europe/Paris or UTC.",
            code="unknown_time_zone",
        )
    return ZoneInfo(name)


@functools.lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(time_zone_names())
