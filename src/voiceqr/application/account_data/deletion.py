"""Deleting an account: the owner asks (and may keep it during a grace period), or an
administrator deletes it; then a background job removes everything, a batch at a time.

The job is resumable: its row says which step it is on, each step's batches are
idempotent (a file already gone is no error, a row already gone is not found again), and
a worker that dies leaves an expired lease the sweep hands out again. The account row
goes last, so until the end the deletion still names a live account.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.account_data.ports import AccountDataUnitOfWork, Footprint
from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.application.accounts.ports import SessionStore
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.jobs import AfterCommit, Jobs
from voiceqr.application.shared.ports import AudioStorage
from voiceqr.domain.account_data.deletion import (
    OWNER,
    AccountDeletion,
    DeletionStep,
    check_email_typed,
    schedule_by_owner,
    schedule_by_staff,
)
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.shared.errors import Conflict, NotFound

log = logging.getLogger(__name__)

DELETE_ACCOUNT = "voiceqr.delete_account"
BATCH = 50


@dataclass(slots=True, kw_only=True)
class AccountDeletions:
    """Asking for, keeping, and carrying out the deletion of an account."""

    uow: Callable[[], AccountDataUnitOfWork]
    sessions: SessionStore
    storage: AudioStorage
    jobs: Jobs
    clock: Callable[[], datetime]
    grace: timedelta
    forget_code: Callable[[str], None]  # the playback page's cache of a code, in this process
    batch: int = BATCH

    # --- the owner -------------------------------------------------------------------

    async def pending(self, user_id: UUID) -> AccountDeletion | None:
        """The deletion waiting on this account, if any (the banner after sign-in)."""
        async with self.uow() as uow:
            return await uow.account_deletions.get(user_id)

    async def ask(self, user: User, session: Session, *, ip: str = "") -> AccountDeletion:
        """The owner asks for their account to go, once the grace period has passed.

        Needs a password typed (or a sign-in, with its second factor if enabled) in the
        last five minutes: a stolen session must not delete the account.
        """
        now = self.clock()
        if not session.recently_authenticated(now):
            raise ReauthenticationRequired(
                "Confirm your password first; deleting the account needs it within 5 minutes."
            )
        deletion = schedule_by_owner(user.id, now=now, grace=self.grace)
        async with self.uow() as uow:
            if await uow.account_deletions.get(user.id) is not None:
                raise Conflict("This account is already being deleted.", code="deletion_exists")
            await uow.account_deletions.save(deletion)
            await record(
                uow,
                user,
                "account.deletion_requested",
                target=("user", user.id),
                now=now,
                ip=ip,
                details={"due_at": deletion.due_at.isoformat(), "by": OWNER},
            )
            await uow.commit()
        return deletion

    async def keep(self, user: User, *, ip: str = "") -> None:
        """The owner keeps the account: the deletion is cancelled during its grace period."""
        async with self.uow() as uow:
            deletion = await uow.account_deletions.get(user.id)
            if deletion is None:
                raise NotFound("This account is not being deleted.", code="deletion_not_found")
            deletion.cancel()
            await uow.account_deletions.remove(user.id)
            await record(
                uow,
                user,
                "account.deletion_cancelled",
                target=("user", user.id),
                now=self.clock(),
                ip=ip,
            )
            await uow.commit()

    # --- staff -----------------------------------------------------------------------

    async def footprint(self, actor: Actor, user_id: UUID) -> tuple[User, Footprint]:
        """The account and what deleting it removes (admins only)."""
        require(actor, Permission.DELETE_ACCOUNTS)
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such account.", code="user_not_found")
            return user, await uow.account_erasure.footprint(user_id)

    async def delete_by_staff(
        self, actor: Actor, user_id: UUID, *, email_typed: str, reason: str, ip: str = ""
    ) -> AccountDeletion:
        """An administrator deletes the account at once (no grace period): the email
        typed again confirms which one, the reason goes to the audit log."""
        require(actor, Permission.DELETE_ACCOUNTS)
        now = self.clock()
        after = AfterCommit(self.jobs)
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("No such account.", code="user_not_found")
            check_email_typed(user.email, email_typed)
            deletion = schedule_by_staff(
                user_id, now=now, requested_by=actor.actor_label, reason=reason
            )
            existing = await uow.account_deletions.get(user_id)
            if existing is not None and existing.lease_expires_at is not None:
                raise Conflict("This account is already being deleted.", code="deletion_running")
            await uow.account_deletions.save(deletion)
            # The reason and the id only: the log outlives the account and keeps no email.
            await record(
                uow,
                actor,
                "account.delete",
                target=("user", user_id),
                now=now,
                ip=ip,
                details={"reason": deletion.reason},
            )
            after.enqueue(DELETE_ACCOUNT, str(user_id))
            await after.commit(uow)
        await after.send()
        return deletion

    async def delete_by_email(
        self, actor: Actor, email: str, *, reason: str, at_once: bool = False
    ) -> AccountDeletion:
        """The operator's way in (`voiceqr users delete EMAIL`): the email names the
        account and confirms it. `at_once` runs the job here rather than in a worker."""
        require(actor, Permission.DELETE_ACCOUNTS)
        async with self.uow() as uow:
            user = await uow.users.get_by_email(email)
        if user is None:
            raise NotFound("No account has this email address.", code="user_not_found")
        deletion = await self.delete_by_staff(actor, user.id, email_typed=email, reason=reason)
        if at_once:
            await self.run(user.id)
        return deletion

    # --- the job ---------------------------------------------------------------------

    async def run(self, user_id: UUID) -> bool:
        """Carry out a due deletion to its end; False when it is not due, held by another
        worker, or already done (a second delivery does nothing)."""
        async with self.uow() as uow:
            deletion = await uow.account_deletions.get(user_id)
            if deletion is None or not deletion.claim(self.clock()):
                return False
            await uow.account_deletions.save(deletion)
            # From here on nobody signs in to the account while its things go.
            user = await uow.users.get(user_id)
            if user is not None and user.status is not UserStatus.DISABLED:
                user.status = UserStatus.DISABLED
                await uow.users.update(user)
            await uow.commit()
        await self.sessions.delete_for_user(user_id)
        if deletion.step is DeletionStep.RETIRE_CODES:
            await self._retire_codes(deletion)
            await self._advance(deletion, DeletionStep.GENERATIONS)
        if deletion.step is DeletionStep.GENERATIONS:
            await self._delete_generations(deletion)
            await self._advance(deletion, DeletionStep.ACCOUNT)
        await self.sessions.delete_for_user(user_id)
        async with self.uow() as uow:
            exports = await uow.account_exports.list_for_user(user_id)
        for export in exports:
            await self.storage.delete(export.storage_key)  # absent (never built): no error
        async with self.uow() as uow:
            await uow.account_erasure.delete_account(user_id)
            await uow.account_deletions.remove(user_id)
            await uow.commit()
        log.info("account deleted", extra={"user_id": str(user_id)})
        return True

    async def sweep(self) -> int:
        """Wake a worker for every deletion that is due (grace period over, or a lease
        left behind by a worker that died); returns how many."""
        async with self.uow() as uow:
            due = await uow.account_deletions.due(self.clock(), limit=100)
        for user_id in due:
            await self.jobs.enqueue(DELETE_ACCOUNT, str(user_id))
        return len(due)

    async def _retire_codes(self, deletion: AccountDeletion) -> None:
        while True:
            async with self.uow() as uow:
                codes = await uow.account_erasure.retire_codes(
                    deletion.user_id, now=self.clock(), limit=self.batch
                )
                await self._hold(uow, deletion)
                await uow.commit()
            for code in codes:
                self.forget_code(code)
            if len(codes) < self.batch:
                return

    async def _delete_generations(self, deletion: AccountDeletion) -> None:
        while True:
            async with self.uow() as uow:
                batch = await uow.account_erasure.next_generations(
                    deletion.user_id, limit=self.batch
                )
            if not batch.generation_ids:
                return
            # Files before rows: a crash in between finds the rows again and deleting
            # a file twice is no error; the other way round would leave files nobody knows.
            for key in batch.storage_keys:
                await self.storage.delete(key)
            async with self.uow() as uow:
                await uow.account_erasure.delete_generations(batch.generation_ids)
                await self._hold(uow, deletion)
                await uow.commit()

    async def _hold(self, uow: AccountDataUnitOfWork, deletion: AccountDeletion) -> None:
        """Renew the lease with each batch: a long deletion is not handed to a second
        worker while this one still makes progress."""
        deletion.renew(self.clock())
        await uow.account_deletions.save(deletion)

    async def _advance(self, deletion: AccountDeletion, step: DeletionStep) -> None:
        deletion.advance(step)
        async with self.uow() as uow:
            await uow.account_deletions.save(deletion)
            await uow.commit()
