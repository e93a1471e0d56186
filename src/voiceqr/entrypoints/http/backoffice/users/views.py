"""What the user list and a user's page show, for the JSON API and the pages alike:
one presenter of an account, and the list's query read from the request's values."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

import msgspec

from voiceqr.application.accounts.ports import UserQuery, UserSort
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.errors import ValidationError


class UserOut(msgspec.Struct):
    id: UUID
    email: str
    name: str
    role: str
    status: str  # active or disabled
    verified: bool
    locked_until: datetime | None  # set while a lock lasts (by hand or failed sign-ins)
    two_factor: bool
    created_at: datetime


def user_out(user: User, now: datetime) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.role),
        status=str(user.status),
        verified=user.is_verified,
        locked_until=user.locked_until if user.is_locked(now) else None,
        two_factor=user.has_two_factor,
        created_at=user.created_at,
    )


def _yes_no(value: str, name: str) -> bool | None:
    if value in ("", "any"):
        return None
    if value in ("yes", "true", "1"):
        return True
    if value in ("no", "false", "0"):
        return False
    raise ValidationError(f"{name} is yes, no or empty.", code="bad_filter")


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
    except ValueError:
        raise ValidationError(f"{name} is a date like 2026-12-31.", code="bad_filter") from None


def user_query(
    *,
    limit: int = 50,
    q: str = "",
    role: str = "",
    verified: str = "",
    locked: str = "",
    disabled: str = "",
    signed_up_from: str = "",
    signed_up_to: str = "",
    sort: str = "newest",
) -> UserQuery:
    """The list's query from the request's values (all text, as a form sends them);
    ValidationError naming a value that is not one the form offers."""
    try:
        chosen_role = Role(role) if role else None
        chosen_sort = UserSort(sort or "newest")
    except ValueError:
        raise ValidationError(
            "Pick a role and an order from the lists.", code="bad_filter"
        ) from None
    until = _day(signed_up_to, "signed_up_to")
    return UserQuery(
        now=datetime.now(UTC),  # the use case sets its own clock's time
        text=q[:254],
        role=chosen_role,
        verified=_yes_no(verified, "verified"),
        locked=_yes_no(locked, "locked"),
        disabled=_yes_no(disabled, "disabled"),
        signed_up_from=_day(signed_up_from, "signed_up_from"),
        # The last day is included: before the start of the day after it.
        signed_up_before=None if until is None else until + timedelta(days=1),
        sort=chosen_sort,
        limit=limit,
    )
