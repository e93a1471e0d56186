"""Small view helpers several features' pages share."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from voiceqr.domain.accounts.users import MIN_PASSWORD_LENGTH

# Shown wherever a password is chosen: sign-up, reset and the profile page.
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters. Spaces and any characters are welcome; "
    "a few words make a strong password. Very common passwords are refused."
)


def when(moment: datetime | None, zone: ZoneInfo | None = None) -> str:
    """A moment as the pages write it, in UTC or in `zone` (the reader's), named after
    the time (empty for none)."""
    if moment is None:
        return ""
    if zone is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    if moment.tzinfo is None:  # stored in UTC by a database that drops the zone
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(zone).strftime('%Y-%m-%d %H:%M')} {zone.key}"
