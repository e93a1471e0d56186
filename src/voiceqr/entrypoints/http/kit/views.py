"""Small view helpers several features' pages share."""

from __future__ import annotations

from datetime import datetime

from voiceqr.domain.accounts.users import MIN_PASSWORD_LENGTH

# Shown wherever a password is chosen: sign-up, reset and the profile page.
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters. Spaces and any characters are welcome; "
    "a few words make a strong password. Very common passwords are refused."
)


def when(moment: datetime | None) -> str:
    """A moment as the pages write it (empty for none)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
