"""Small view helpers several features' pages share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from jinja2 import pass_context

from voiceqr.domain.accounts.users import MIN_PASSWORD_LENGTH
from voiceqr.domain.shared.time_zones import is_time_zone, time_zone

# The browser's own time zone, as static/kit/browser_zone.js tells it.
ZONE_COOKIE = "voiceqr_tz"

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


def reader_zone(chosen: str, browser: str | None) -> ZoneInfo:
    """The zone a signed-in reader's times are shown in: the one their profile names,
    else their browser's, else UTC (a name the time zone database does not know is
    skipped, never an error: a cookie is anybody's to write)."""
    for name in (chosen, unquote(browser or "")):
        if name and is_time_zone(name):
            return time_zone(name)
    return time_zone(None)


@pass_context
def local_time(context: Any, moment: datetime | None) -> str:
    """`when` in the templates: in the reader's zone on a signed-in page (resolved with
    the user, kit/auth.py), in UTC on any other."""
    request = context.get("request")
    zone = getattr(request.state, "zone", None) if request is not None else None
    return when(moment, zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC"))
