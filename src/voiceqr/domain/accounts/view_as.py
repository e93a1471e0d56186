"""Staff viewing the site as one of its users: read-only, for a while, with a reason.

Support sees the pages as the user sees them to understand what the user reports.
Only a plain user's account may be viewed: never one's own nor another staff
member's, so a view never lends anyone a higher role's pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.shared.errors import PermissionDenied

DEFAULT_LENGTH: Final = timedelta(minutes=15)
MAX_LENGTH: Final = timedelta(hours=4)  # longer than any support call; the setting's limit

# How a view ended, as the audit log says it.
STOPPED: Final = "stopped"
TIME_LIMIT: Final = "time limit"
SIGNED_OUT: Final = "signed out"
ACCOUNT_GONE: Final = "account no longer viewable"


def check_may_view(actor: Actor, user: User) -> None:
    """Return if `actor` may view the site as `user`; PermissionDenied otherwise."""
    require(actor, Permission.VIEW_AS_USER)
    if actor.id == user.id:
        raise PermissionDenied("You cannot view the site as yourself.", code="view_as_self")
    if user.role is not Role.USER:
        raise PermissionDenied(
            "Only a user's account can be viewed as; staff accounts cannot.",
            code="view_as_staff",
        )


def still_viewable(user: User | None) -> bool:
    """Whether a view on `user` may go on (the account may be deleted or promoted since)."""
    return user is not None and user.role is Role.USER
