"""Counting people, not requests, and without keeping who they are (U2, U3).

A visitor key is a truncated keyed hash of (the day's salt, the code, the network of
the address: /24 for IPv4, /64 for IPv6, the user agent). Salts are made per UTC day,
the previous day's is kept for visits across midnight, and both are deleted after 48
hours, after which no key can be tied to an address again. The same visitor on the same
code within `VISIT_WINDOW` is one visit (one scan, or one listen); every raw hit is kept.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from voiceqr.domain.generations.generation import QR_MARKER, placement_name
from voiceqr.domain.playback.events import PlaybackEvent, PlaybackEventKind, Source

VISIT_WINDOW = timedelta(minutes=30)
SALT_LIFETIME = timedelta(hours=48)
KEY_BYTES = 8  # 64 bits: collisions among one code's visitors are negligible
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


# A dotted IPv4 address, the usual case, read without the `ipaddress` module.
_DOTTED = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})", re.ASCII)
_V4_HOSTS = 0xFF  # the last 8 bits of an IPv4 address
_V6_HOSTS = (1 << 64) - 1  # the last 64 bits of an IPv6 address


def network_of(address: str) -> str:
    """The address's network: its /24 (IPv4) or /64 (IPv6); "" for what is no address."""
    dotted = _DOTTED.fullmatch(address)
    if dotted is not None:
        a, b, c, d = map(int, dotted.groups())
        if max(a, b, c, d) <= 255:
            return f"{a}.{b}.{c}.0/24"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return f"{ipaddress.IPv4Address(int(ip) & ~_V4_HOSTS)}/24"
    return f"{ipaddress.IPv6Address(int(ip) & ~_V6_HOSTS)}/64"


def visitor_keys(salts: tuple[bytes, ...], code: str, address: str, user_agent: str) -> list[str]:
    """The visitor's key under each salt (today's, yesterday's)."""
    message = "\n".join((code, network_of(address), user_agent)).encode()
    return [hashlib.blake2b(message, key=salt, digest_size=KEY_BYTES).hexdigest() for salt in salts]


def salt_days(now: datetime) -> tuple[date, date]:
    """(today, yesterday) in UTC: the salts a hit at `now` is keyed with."""
    today = now.date()
    return today, today - timedelta(days=1)


def expired_salt_days_before(now: datetime) -> date:
    """Salts of days before this one are past their 48 hours and go."""
    return (now - SALT_LIFETIME).date() + timedelta(days=1)


def source_of(marker: str | None) -> Source:
    return Source.QR if marker == QR_MARKER else Source.LINK


def placement_of(name: str | None) -> str:
    """A placement's name as the QR download put it in the URL (`?p=lobby`), tidied."""
    return placement_name(name)


# Visitors send few distinct referrers and languages: each is read once, then remembered.
@functools.lru_cache(maxsize=4096)
def referrer_host(referer: str | None) -> str:
    try:
        host = urlsplit(referer or "").hostname or ""
    except ValueError:
        return ""
    return host[:255]


@functools.lru_cache(maxsize=4096)
def primary_language(accept_language: str | None) -> str:
    """The first language the browser asks for, as its primary subtag ("en", "pt")."""
    first = (accept_language or "").split(",", 1)[0].split(";", 1)[0].strip().lower()
    primary = first.split("-", 1)[0]
    return primary if _LANGUAGE.match(primary) else ""


Seen = Mapping[tuple[UUID, PlaybackEventKind, str], datetime]


def mark_visits(events: Sequence[PlaybackEvent], seen: Seen) -> list[bool]:
    """For each event (in any order), whether it starts a visit: no event of the same
    kind, code and visitor within `VISIT_WINDOW` before it, among `seen` (the latest
    earlier hit of each such key) and the events themselves. A visitor key with
    yesterday's salt matches hits keyed with it before midnight."""
    # The embedded server runs this on the event loop that serves the page, for every
    # batch of hits it stores: one subtraction per event, not one per comparison.
    last = dict(seen)
    starts = [True] * len(events)
    times = [event.occurred_at for event in events]
    for index in sorted(range(len(events)), key=times.__getitem__):
        event = events[index]
        at = times[index]
        window_start = at - VISIT_WINDOW
        code, kind = event.generation_id, event.kind
        for visitor in _keys(event):
            key = (code, kind, visitor)
            before = last.get(key)
            if before is None:
                last[key] = at
                continue
            if before < at:
                last[key] = at  # in time order: the latest so far
            if before > window_start:  # less than VISIT_WINDOW before (or after) it
                starts[index] = False
    return starts


def _keys(event: PlaybackEvent) -> list[str]:
    return [v for v in (event.visitor, event.previous_visitor) if v] or [event.id.hex]
