"""Server-side sign-in sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(slots=True)
class Session:
    token_hash: str
    user_id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_expires_at: datetime

    def is_active(self, now: datetime) -> bool:
        return now < self.expires_at and now < self.idle_expires_at
