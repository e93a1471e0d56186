"""Staff viewing the site as a user sees it: read-only, for a while, audited.

A support or admin member starts a view from the user's page with a reason; their own
session then carries "viewing as <user> until <time>" (stored with the session, so
it holds across processes). While it lasts every page resolves the viewed account as
the signed-in user, and the web layer refuses every change. It ends when they stop,
at its time limit, or when they sign out; the start and the end are audited on the
viewed account, so the user reads them on their security page and timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.accounts.core import AccountsCore
from voiceqr.application.accounts.policy import hash_token
from voiceqr.application.accounts.ports import AccountsUnitOfWork, SessionStore
from voiceqr.application.shared.audit import record
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.staff_changes import check_reason
from voiceqr.domain.accounts.users import User
from voiceqr.domain.accounts.view_as import (
    ACCOUNT_GONE,
    DEFAULT_LENGTH,
    STOPPED,
    TIME_LIMIT,
    check_may_view,
    still_viewable,
)
from voiceqr.domain.shared.errors import NotFound


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a signed-in request acts as, and what its pages need to say about it."""

    user: User  # the account the pages show: the viewed one while staff view as it
    session: Session
    deletion_due_at: datetime | None = None  # `user`'s pending deletion (the banner)
    viewer: User | None = None  # the staff member viewing as `user`, read-only

    @property
    def read_only(self) -> bool:
        return self.viewer is not None


@dataclass(slots=True, kw_only=True)
class ViewAs:
    """Starting and stopping a view, and carrying one on from request to request."""

    uow: Callable[[], AccountsUnitOfWork]
    sessions: SessionStore
    clock: Callable[[], datetime]
    length: timedelta = DEFAULT_LENGTH

    @classmethod
    def sharing(cls, accounts: AccountsCore) -> ViewAs:
        """Views on the same stores and clock as `accounts`, as long as its policy says."""
        return cls(
            uow=accounts.uow,
            sessions=accounts.sessions,
            clock=accounts.clock,
            length=accounts.policy.view_as,
        )

    async def start(
        self, staff: User, session: Session, user_id: UUID, *, reason: str, ip: str = ""
    ) -> datetime:
        """View the site as the account `user_id` from `session` on; when the view ends.

        Support and admins only, with a reason, never as oneself nor as staff. A view
        already on is replaced (and its end audited), so one session views one account.
        """
        why = check_reason(reason)
        now = self.clock()
        until = now + self.length
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such account.", code="user_not_found")
            check_may_view(staff, user)
            if session.viewing_user_id is not None:
                await _audit_end(uow, staff, session.viewing_user_id, STOPPED, now, ip)
            await record(
                uow,
                staff,
                "user.view_as",
                target=("user", user.id),
                now=now,
                ip=ip,
                details={"email": user.email, "reason": why, "until": until.isoformat()},
            )
            await uow.commit()
        # The session store stands apart from the unit of work: the view starts once its
        # audit entry is saved, never the other way round.
        await self.sessions.start_viewing(session.token_hash, user_id=user.id, until=until)
        return until

    async def stop(self, token: str, *, ip: str = "") -> UUID | None:
        """End the view of the session whose cookie is `token`; the account it viewed, or
        None when no view was on (a second click, or a view past its time)."""
        session = await self.sessions.get(hash_token(token))
        if session is None or session.viewing_user_id is None:
            return None
        # A click after the time limit ends a view that was over already: say so.
        how = STOPPED if session.is_viewing(self.clock()) else TIME_LIMIT
        await end_view(self, session, how, ip=ip)
        return session.viewing_user_id

    async def viewed(self, session: Session, now: datetime) -> tuple[User, datetime | None] | None:
        """The account a viewing session shows, with its pending deletion; None once the
        view is over (its time passed, the account gone or made staff), the view ended."""
        viewed = session.viewing_user_id
        if viewed is None or not session.is_viewing(now):
            await end_view(self, session, TIME_LIMIT)
            return None
        async with self.uow() as uow:
            found = await uow.users.get_signed_in(viewed)
        if found is not None and still_viewable(found[0]):
            return found
        # A deleted account gets no new entry: nothing may name it once it is gone.
        await end_view(self, session, ACCOUNT_GONE, audited=found is not None)
        return None


async def end_view(
    view_as: ViewAs, session: Session, how: str, *, ip: str = "", audited: bool = True
) -> None:
    """End `session`'s view and audit how it ended (once, however many requests race)."""
    viewed = session.viewing_user_id
    if viewed is None or not await view_as.sessions.stop_viewing(session.token_hash):
        return
    if not audited:
        return
    async with view_as.uow() as uow:
        staff = await uow.users.get(session.user_id)
        if staff is not None:
            await _audit_end(uow, staff, viewed, how, view_as.clock(), ip)
            await uow.commit()


async def _audit_end(
    uow: AccountsUnitOfWork, staff: User, viewed: UUID, how: str, now: datetime, ip: str
) -> None:
    await record(
        uow,
        staff,
        "user.view_as_end",
        target=("user", viewed),
        now=now,
        ip=ip,
        details={"ended": how},
    )
