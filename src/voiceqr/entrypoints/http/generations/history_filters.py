"""The history page's filters as its form sends them, read once for the page and for
its batch form, so "every generation matching these filters" is what the page shows.

Values the form cannot produce are ignored rather than refused. Dates are plain days
in the reader's time zone, both ends included.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.generations.organising import MAX_SEARCH_LENGTH

FILTER_FIELDS = ("q", "voice_id", "status", "folder_id", "tag", "created_from", "created_to")


def plain_date(value: str) -> date | None:
    """A day as a date field sends it (2026-12-06); anything else is no day."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def cleaned_filters(raw: Mapping[str, str]) -> dict[str, str]:
    """Each filter as the page applies it: "" where the value is ignored."""
    status = raw.get("status", "")
    days = {name: plain_date(raw.get(name, "")) for name in ("created_from", "created_to")}
    return {
        "q": raw.get("q", "").strip()[:MAX_SEARCH_LENGTH],
        "voice_id": str(_uuid(raw.get("voice_id", "")) or ""),
        "status": status if status in set(GenerationStatus) else "",
        "folder_id": str(_uuid(raw.get("folder_id", "")) or ""),
        "tag": raw.get("tag", "").strip()[:MAX_SEARCH_LENGTH],
        **{name: "" if day is None else day.isoformat() for name, day in days.items()},
    }


def history_filter(filters: Mapping[str, str], zone: ZoneInfo) -> GenerationFilter:
    """Cleaned filters as a query; "to" includes its whole day."""
    first, last = plain_date(filters["created_from"]), plain_date(filters["created_to"])
    return GenerationFilter(
        text=filters["q"] or None,
        voice_id=_uuid(filters["voice_id"]),
        status=GenerationStatus(filters["status"]) if filters["status"] else None,
        folder_id=_uuid(filters["folder_id"]),
        tag=filters["tag"] or None,
        created_from=None if first is None else datetime.combine(first, time(), zone),
        created_to=None
        if last is None
        else datetime.combine(last + timedelta(days=1), time(), zone),
    )
