"""Server-side sign-in sessions (A7, A9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

REAUTHENTICATION_WINDOW = timedelta(minutes=5)


@dataclass(slots=True)
class Session:
    token_hash: str
    user_id: UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    idle_expires_at: datetime
    id: UUID | None = None  # the public handle a user sees and revokes; never the cookie
    remember_me: bool = False
    ip: str = ""
    user_agent: str = ""
    device: str = ""
    browser: str = ""
    country: str = ""
    method: str = "password"
    reauthenticated_at: datetime | None = None
    # A staff member viewing the site as this user, read-only, until this time.
    viewing_user_id: UUID | None = None
    viewing_until: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return now < self.expires_at and now < self.idle_expires_at

    def is_viewing(self, now: datetime) -> bool:
        """Whether the session views the site as someone else now (not past its time)."""
        return self.viewing_until is not None and now < self.viewing_until

    def recently_authenticated(self, now: datetime) -> bool:
        """Sensitive changes need a password typed in the last five minutes (A6)."""
        last = self.reauthenticated_at or self.created_at
        return now - last <= REAUTHENTICATION_WINDOW
