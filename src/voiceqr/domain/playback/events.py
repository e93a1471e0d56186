"""Scans and listens of a public code (C5, U1-U8): what one hit of the playback page
records, and the counts an owner sees.

A hit carries no IP address: only a visitor key (see `visits.py`), the country, and
what the request said of itself (source, placement, referrer host, language, user
agent). At ingest the user agent is read (bot or not, device, OS, browser) and the
hit is marked as the start of a visit or not; raw hits are all kept, and only visits of
people other than the owner are counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class PlaybackEventKind(StrEnum):
    SCAN = "scan"
    LISTEN = "listen"


class Source(StrEnum):
    QR = "qr"  # the URL a QR code encodes carries ?s=q
    LINK = "link"  # anything else: a shared link, a typed address


@dataclass(frozen=True, slots=True)
class Device:
    """What a user agent says of itself (read at ingest, from a maintained parser)."""

    bot: bool = False
    device: str = ""  # mobile | tablet | desktop | "" (unknown)
    os: str = ""  # family and major version, e.g. "iOS 17"
    browser: str = ""  # family and major version, e.g. "Mobile Safari 17"


@dataclass(frozen=True, slots=True)
class PlaybackEvent:
    id: UUID
    generation_id: UUID
    kind: PlaybackEventKind
    occurred_at: datetime
    user_agent: str = ""
    visitor: str = ""  # the visitor key with today's salt
    previous_visitor: str = ""  # the same with yesterday's salt (visits across midnight)
    source: Source = Source.LINK
    placement: str = ""
    referrer_host: str = ""
    language: str = ""
    country: str = ""
    owner_view: bool = False  # the owner, signed in, opened their own code


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as it is stored: what the page appended, and what ingest read of it."""

    event: PlaybackEvent
    device: Device = Device()
    new_visit: bool = True  # False: the same visitor within the visit window

    @property
    def counted(self) -> bool:
        """Whether it counts as a scan or a listen: a new visit, by a person, not the owner."""
        return self.new_visit and not self.device.bot and not self.event.owner_view


@dataclass(frozen=True, slots=True)
class PlaybackCounts:
    """Visits (scans) and listens by people other than the owner, bots left out."""

    scans: int = 0
    listens: int = 0
