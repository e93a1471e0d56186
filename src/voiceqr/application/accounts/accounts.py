"""Accounts: creating and listing them, sign-in and lockout, sessions, and the owner's
own changes (name, password, email). Staff changes to accounts are in `staff.py`.

Every reply that could tell whether an email has an account is the same either way,
and takes about as long.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from datetime import datetime, timedelta

from voiceqr.application.accounts.core import quiet_email
from voiceqr.application.accounts.mailed_links import MailedLinks
from voiceqr.application.accounts.policy import (
    SESSION_TOKEN_BYTES,
    Client,
    ReauthenticationRequired,
    SecondFactorRequired,
    SignIn,
    hash_token,
)
from voiceqr.application.accounts.staff import new_account
from voiceqr.application.accounts.view_as import SignedIn, ViewAs, end_view
from voiceqr.application.shared.audit import record
from voiceqr.domain.accounts.activity import LoginEvent, SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.tokens import TokenPurpose
from voiceqr.domain.accounts.users import (
    Role,
    User,
    UserStatus,
    check_password,
    clean_name,
    normalize_email,
)
from voiceqr.domain.accounts.view_as import SIGNED_OUT
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    NotFound,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import control_character

log = logging.getLogger(__name__)


class Accounts(MailedLinks):
    """Accounts: the operators' changes, sign-in, sessions and the owner's own changes;
    the mailed-link flows are in `MailedLinks`."""

    # --- operators --------------------------------------------------------------------

    # Staff changes: each needs a permission of the actor (a staff member, or OPERATOR at
    # the terminal) and is written to the audit log in the same transaction.

    async def create_user(
        self,
        *,
        email: str,
        name: str,
        password: str,
        role: Role,
        verified: bool = True,
        actor: Actor,
        ip: str = "",
    ) -> User:
        """Create an account with a role; any role but `user` needs the right to change
        roles. Raises Conflict if the email is taken."""
        user = new_account(
            actor, email=email, name=name, role=role, verified=verified, now=self.clock()
        )
        check_password(password)
        user.password_hash = await self.hasher.hash(password)
        now = user.created_at
        async with self.uow() as uow:
            await uow.users.add(user)
            await record(
                uow,
                actor,
                "user.create",
                target=("user", user.id),
                now=now,
                ip=ip,
                details={"email": user.email, "role": str(role), "verified": verified},
            )
            await uow.commit()
        return user

    async def list_users(self, actor: Actor) -> list[User]:
        """Every account, for those who may read accounts."""
        require(actor, Permission.READ_ACCOUNTS)
        async with self.uow() as uow:
            return await uow.users.list()

    async def get_by_email(self, email: str) -> User | None:
        async with self.uow() as uow:
            return await uow.users.get_by_email(normalize_email(email))

    def now(self) -> datetime:
        return self.clock()

    # --- sign-in (A4, A6, A8, A9) -----------------------------------------------------

    async def sign_in(
        self,
        *,
        email: str,
        password: str,
        client: Client,
        remember_me: bool = False,
        otp_code: str | None = None,
        recovery_code: str | None = None,
    ) -> SignIn:
        """A new session for the right credentials; one error for every wrong case.

        Unknown email, wrong password, locked or disabled account all get the same
        message, status and (by hashing anyway) similar timing. Only the right password
        learns that its account is locked, and until when: the owner, who then knows to
        wait or to use the unlock link we mailed, rather than doubt their password.
        """
        failure = AuthenticationFailed(
            "The email or password is not right.", code="bad_credentials"
        )
        await self._limit(f"signin:ip:{client.ip}", self.policy.sign_in_limit)
        address = quiet_email(email) or email.strip().lower()[:254]
        if control_character(address) is not None:
            # Nobody's address: nothing to look up (PostgreSQL cannot) or to record.
            raise failure
        await self._limit(f"signin:email:{address}", self.policy.sign_in_limit)
        async with self.uow() as uow:
            user = await uow.users.get_by_email(address)
        if user is None or user.password_hash is None:
            await self.hasher.verify(await self._dummy(), password)
            await self._record(
                self._event(address, None, False, SignInMethod.PASSWORD, "bad_credentials", client)
            )
            raise failure
        now = self.clock()
        password_ok = await self.hasher.verify(user.password_hash, password)
        if user.status is not UserStatus.ACTIVE:
            # Checked before the password, so guesses cannot lock (and mail) a disabled account.
            await self._record(
                self._event(address, user, False, SignInMethod.PASSWORD, "disabled", client)
            )
            raise failure
        if user.is_locked(now):
            await self._record(
                self._event(address, user, False, SignInMethod.PASSWORD, "locked", client)
            )
            if password_ok and user.locked_until is not None:
                raise AuthenticationFailed(
                    f"This account is locked until {user.locked_until:%Y-%m-%d %H:%M} UTC. "
                    "If it was locked after too many wrong passwords, the mail we sent you "
                    "has a link that unlocks it at once; otherwise sign in again after then.",
                    code="account_locked",
                )
            raise failure
        if not password_ok:
            await self._failed_password(user, client)
            raise failure
        method = SignInMethod.PASSWORD
        if user.has_two_factor:
            if self.second_factor is None:
                raise DomainError("Two-factor sign-in is not available.", code="2fa_unavailable")
            if not otp_code and not recovery_code:
                raise SecondFactorRequired(
                    "Enter the code from your authenticator app, or a recovery code.",
                    user=user,
                )
            async with self.uow() as uow:
                method_used = await self.second_factor(uow, user, otp_code, recovery_code)
                await uow.commit()
            if method_used is None:
                await self._failed_password(user, client, reason="bad_second_factor")
                raise AuthenticationFailed(
                    "That code is not right; try the current one.", code="bad_second_factor"
                )
            method = method_used
        if self.hasher.needs_rehash(user.password_hash):
            user.password_hash = await self.hasher.hash(password)
            async with self.uow() as uow:
                await uow.users.update(user)
                await uow.commit()
        return await self.start_session(user, client=client, remember_me=remember_me, method=method)

    async def start_session(
        self, user: User, *, client: Client, remember_me: bool, method: SignInMethod
    ) -> SignIn:
        """A brand-new session (a new id at every sign-in: no fixation)."""
        now = self.clock()
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        absolute = self.policy.remember_me if remember_me else self.policy.session_absolute
        idle = self.policy.remember_me if remember_me else self.policy.session_idle
        session = Session(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
            idle_expires_at=now + idle,
            id=uuid7(),
            remember_me=remember_me,
            ip=client.ip,
            user_agent=client.user_agent[:500],
            device=client.device,
            browser=client.browser,
            country=client.country,
            method=str(method),
            reauthenticated_at=now,
        )
        await self.sessions.add(session)
        await self._record(self._event(user.email, user, True, method, "", client))
        return SignIn(user=user, token=token, session=session)

    async def second_factor_failed(self, user: User, client: Client) -> None:
        """A wrong code after another first step (social sign-in): counts toward lockout."""
        await self._failed_password(user, client, reason="bad_second_factor")

    async def _failed_password(
        self, user: User, client: Client, *, reason: str = "bad_credentials"
    ) -> None:
        now = self.clock()
        async with self.uow() as uow:
            await uow.login_events.add(
                self._event(user.email, user, False, "password", reason, client)
            )
            # Failures before the last lock ended or the last password change don't count.
            since = max(
                d
                for d in (
                    now - self.policy.lockout_window,
                    user.locked_until,
                    user.password_changed_at,
                )
                if d is not None
            )
            failures = await uow.login_events.count_failures(user_id=user.id, since=since)
            if failures >= self.policy.lockout_failures and not user.is_locked(now):
                user.locked_until = now + self.policy.lockout_duration
                await uow.users.update(user)
                await self._mail_link(uow, user, TokenPurpose.UNLOCK, "account_locked", "/unlock")
                log.warning("account locked after failed sign-ins", extra={"user_id": str(user.id)})
            await uow.commit()

    # --- sessions (A7) ----------------------------------------------------------------

    async def session_user(self, token: str) -> tuple[User, Session] | None:
        """The signed-in user and session, sliding the idle timeout; None when over."""
        found = await self.signed_in(token)
        return None if found is None else (found.user, found.session)

    async def signed_in(self, token: str) -> SignedIn | None:
        """Who the session whose cookie is `token` acts as (the account staff view as,
        read-only, while a view lasts), with the account's pending deletion from the
        same query; the idle timeout slides. None when the session is over."""
        token_hash = hash_token(token)
        now = self.clock()
        session = await self.sessions.get(token_hash)
        if session is None:
            return None
        if not session.is_active(now):
            await self.sessions.delete(token_hash)
            return None
        async with self.uow() as uow:
            found = await uow.users.get_signed_in(session.user_id)
        # A lock from failed sign-ins only stops new sign-ins: someone guessing the
        # password must not sign the real owner out. An operator's lock ends sessions.
        if found is None or found[0].status is not UserStatus.ACTIVE:
            await self.sessions.delete(token_hash)
            return None
        if now - session.last_seen_at > timedelta(minutes=1):
            idle = self.policy.remember_me if session.remember_me else self.policy.session_idle
            await self.sessions.touch(
                token_hash, last_seen_at=now, idle_expires_at=min(session.expires_at, now + idle)
            )
        user, deletion_due_at = found
        if session.viewing_user_id is None:
            return SignedIn(user, session, deletion_due_at)
        viewed = await ViewAs.sharing(self).viewed(session, now)
        if viewed is None:  # the view just ended: the staff member is themselves again
            ended = replace(session, viewing_user_id=None, viewing_until=None)
            return SignedIn(user, ended, deletion_due_at)
        return SignedIn(viewed[0], session, viewed[1], viewer=user)

    async def user_for_session(self, token: str) -> User | None:
        found = await self.session_user(token)
        return None if found is None else found[0]

    async def sign_out(self, token: str) -> None:
        """End the session (and the staff member's view of a user's pages with it)."""
        session = await self.sessions.get(hash_token(token))
        if session is not None and session.viewing_user_id is not None:
            await end_view(ViewAs.sharing(self), session, SIGNED_OUT)
        await self.sessions.delete(hash_token(token))

    async def list_sessions(self, user: User) -> list[Session]:
        now = self.clock()
        return [s for s in await self.sessions.list_for_user(user.id) if s.is_active(now)]

    async def end_session(self, user: User, session_id: str) -> None:
        for session in await self.sessions.list_for_user(user.id):
            if str(session.id) == session_id:
                await self.sessions.delete(session.token_hash)
                return
        raise NotFound("No such session.", code="session_not_found")

    async def end_other_sessions(self, user: User, current_token: str) -> int:
        return await self.sessions.delete_for_user(user.id, keep=hash_token(current_token))

    async def login_activity(self, user: User, *, limit: int = 100) -> list[LoginEvent]:
        async with self.uow() as uow:
            return await uow.login_events.list_for_user(user.id, limit=limit)

    async def forget_old_activity(self) -> int:
        """Delete login activity older than the retention period (180 days by default)."""
        async with self.uow() as uow:
            deleted = await uow.login_events.delete_before(
                self.clock() - self.policy.activity_retention
            )
            await uow.commit()
        return deleted

    # --- profile (P1, A3) and re-authentication (A6) ----------------------------------

    async def reauthenticate(self, user: User, session: Session, password: str) -> None:
        """Type the password again to open the 5-minute window for sensitive changes."""
        # Throttled like sign-in (same per-account budget): a session must not become a
        # password-guessing oracle.
        await self._limit(f"signin:email:{user.email}", self.policy.sign_in_limit)
        if user.password_hash is None or not await self.hasher.verify(user.password_hash, password):
            raise AuthenticationFailed("That password is not right.", code="bad_password")
        await self.sessions.mark_reauthenticated(session.token_hash, at=self.clock())

    def require_recent_authentication(self, session: Session) -> None:
        if not session.recently_authenticated(self.clock()):
            raise ReauthenticationRequired(
                "Confirm your password first; sensitive changes need it within 5 minutes."
            )

    async def update_name(self, user: User, name: str) -> User:
        async with self.uow() as uow:
            stored = await uow.users.get(user.id)
            if stored is None:
                raise NotFound("No such account.", code="user_not_found")
            stored.name = clean_name(name)
            await uow.users.update(stored)
            await uow.commit()
        return stored

    async def change_password(
        self, user: User, session: Session, *, current_password: str, new_password: str
    ) -> None:
        """A new password; every other session ends and the owner is told by mail."""
        await self._limit(f"signin:email:{user.email}", self.policy.sign_in_limit)
        if user.password_hash is None:
            # A social-only account has no password to confirm: a recent sign-in must do,
            # or a stolen session could add a password and keep the account.
            self.require_recent_authentication(session)
        elif not await self.hasher.verify(user.password_hash, current_password):
            raise AuthenticationFailed("The current password is not right.", code="bad_password")
        check_password(new_password)
        password_hash = await self.hasher.hash(new_password)
        now = self.clock()
        async with self.uow() as uow:
            stored = await uow.users.get(user.id)
            if stored is None:
                raise NotFound("No such account.", code="user_not_found")
            stored.password_hash = password_hash
            stored.password_changed_at = now
            await uow.users.update(stored)
            await self.notifications.password_changed(uow, stored, now)
            await uow.commit()
        await self.sessions.delete_for_user(user.id, keep=session.token_hash)
        await self.sessions.mark_reauthenticated(session.token_hash, at=now)

    async def change_email(self, user: User, session: Session, *, new_email: str) -> str:
        """Mail a confirmation link to the new address and tell the old one; the address
        the link went to. The change takes effect only once the new address is confirmed.

        An address another account uses is refused (Conflict, `email_taken`): the person
        typed their password minutes ago, and the per-account mail limit keeps anyone from
        testing addresses by the thousand.
        """
        self.require_recent_authentication(session)
        address = normalize_email(new_email)
        if address == user.email:
            raise ValidationError("That is already your email.", code="email_unchanged")
        await self._limit(f"change_email:{user.id}", self.policy.email_limit)
        async with self.uow() as uow:
            if await uow.users.get_by_email(address) is not None:
                raise Conflict(
                    "Another account uses this email address; pick another one.",
                    code="email_taken",
                )
            await self._mail_link(
                uow,
                user,
                TokenPurpose.CHANGE_EMAIL,
                "change_email",
                "/verify-email",
                to=address,
                email=address,
            )
            await self.notifications.send(
                uow, "email_change_requested", to=user.email, name=user.name, new_email=address
            )
            await uow.commit()
        return address
