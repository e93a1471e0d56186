"""Scans and listens of a public code (C5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class PlaybackEventKind(StrEnum):
    SCAN = "scan"
    LISTEN = "listen"


@dataclass(frozen=True, slots=True)
class PlaybackEvent:
    id: UUID
    generation_id: UUID
    kind: PlaybackEventKind
    occurred_at: datetime
    user_agent: str = ""


@dataclass(frozen=True, slots=True)
class PlaybackCounts:
    scans: int = 0
    listens: int = 0
