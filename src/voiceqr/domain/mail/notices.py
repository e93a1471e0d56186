"""In-app notices: a short line on the site about something that happened to the user's
work (a generation that failed for good, a reply from support), read or not yet read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.domain.mail.preferences import MailKind

MAX_NOTICE_TEXT = 300


@dataclass(slots=True)
class Notice:
    id: UUID
    user_id: UUID
    kind: MailKind
    text: str
    link: str  # a path on the site ("/support/...")
    created_at: datetime
    read_at: datetime | None = None

    def __post_init__(self) -> None:
        # Longer text is cut, not refused: a notice is written by the platform, not typed.
        if len(self.text) > MAX_NOTICE_TEXT:
            self.text = self.text[: MAX_NOTICE_TEXT - 1] + "…"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


@dataclass(slots=True)
class DigestItem:
    """A message kept for the user's next daily digest instead of being mailed at once."""

    id: UUID
    user_id: UUID
    kind: MailKind
    text: str
    link: str
    created_at: datetime
