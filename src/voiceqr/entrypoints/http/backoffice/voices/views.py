"""What the staff voice pages share: how an action answers (a redirect with a notice),
the notices themselves, which refusals a page shows next to its forms, and the staff
member's time zone for the moments a page shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Response, post
from litestar.response import Redirect

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import ErrorCategory, ValidationError
from voiceqr.domain.shared.time_zones import is_time_zone, time_zone

# Refusals shown on the page next to the form (a 502 when the provider cannot be asked
# too: the staff member can try again); anything else is the error page.
SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.PROVIDER)

# What a finished action says on the page it comes back to (`?done=`); `{n}` is the
# number of voices and `{uses}` of generations it names (`?n=`, `?uses=`).
_NOTICES = {
    "created": "Voice added. Give it a sample, then publish it.",
    "saved": "Changes saved.",
    "published": "Published: users can pick this voice.",
    "unpublished": "Unpublished: users no longer see this voice.",
    "uploaded": "Samples added.",
    "spoken": "The voice spoke a new sample.",
    "sample_deleted": "Sample deleted.",
    "sample_moved": "Sample order saved.",
    "voice_moved": "Display order saved.",
    "deleted": "Voice deleted.",
    "kept": "Not deleted: {uses} used this voice, so it was unpublished instead and their "
    "audio and QR codes keep working.",
    "bulk_publish": "Published {n}.",
    "bulk_unpublish": "Unpublished {n}.",
    "bulk_tag": "Tag added to {n}.",
    "bulk_untag": "Tag removed from {n}.",
    "bulk_delete": "Deleted {n}.",
    "bulk_kept": "Deleted {n}; {kept} unpublished instead, as generations use them.",
}


def counted(number: int, noun: str) -> str:
    """`3 voices`, `1 voice`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def notice(done: str, *, n: int = 0, kept: int = 0, uses: int = 0) -> str | None:
    """The words of a finished action, or None for an unknown one (a hand-typed URL)."""
    text = _NOTICES.get(done)
    if text is None:
        return None
    return text.format(
        n=counted(n, "voice"), kept=counted(kept, "voice"), uses=counted(uses, "generation")
    )


def done(path: str, what: str, **counts: int) -> Response[Any]:
    """Back to `path` (303), saying `what` was done."""
    return Redirect(f"{path}?{urlencode({'done': what, **counts})}", status_code=303)


def action(path: str, **kwargs: Any) -> post:
    """A form's POST, answered with a redirect (303) back to a page."""
    return post(path, status_code=303, **kwargs)


def moved(ids: Sequence[UUID], moving: UUID, direction: str) -> list[UUID]:
    """`ids` with `moving` one place up or down (unchanged at either end)."""
    if direction not in ("up", "down"):
        raise ValidationError("Move it up or down.", code="unknown_direction")
    order = list(ids)
    at = order.index(moving)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


async def staff_zone(platform: Platform, staff: User) -> ZoneInfo:
    """The time zone the staff member chose in their profile (UTC when none, or one the
    time zone database no longer knows)."""
    chosen = (await platform.profile.get(staff)).time_zone
    return time_zone(chosen if chosen and is_time_zone(chosen) else None)
