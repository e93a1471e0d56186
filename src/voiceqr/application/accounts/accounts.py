"""Accounts (A1-A4, A7-A9, P1): sign-up, verification, recovery, lockout and sessions.

Every reply that could tell whether an email has an account is the same either way,
and takes about as long.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.operations.audit import record
from voiceqr.application.shared.ports import (
    PasswordHasher,
    RateLimiter,
    SessionStore,
    UnitOfWork,
    UnitOfWorkFactory,
)
from voiceqr.domain.accounts.activity import LoginEvent, SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.tokens import TOKEN_LIFETIMES, AccountToken, TokenPurpose
from voiceqr.domain.accounts.users import (
    Role,
    User,
    UserStatus,
    check_password,
    clean_name,
    normalize_email,
)
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    DomainError,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import control_character

log = logging.getLogger(__name__)

SESSION_TOKEN_BYTES = 32  # 256 random bits
EMAIL_TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """Tokens are stored by hash, so a leaked table holds no usable cookie or link."""
    return hashlib.sha256(token.encode()).hexdigest()


class RateLimited(DomainError):
    category = ErrorCategory.VALIDATION
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many attempts; wait a little and try again.")
        self.retry_after = retry_after


class SecondFactorRequired(AuthenticationFailed):
    """The password was right; a TOTP or recovery code must follow."""

    code = "second_factor_required"


class ReauthenticationRequired(PermissionDenied):
    code = "reauthentication_required"


@dataclass(frozen=True, slots=True)
class Client:
    """Who is on the other end of a request, as far as we can tell."""

    ip: str = ""
    user_agent: str = ""
    country: str = ""

    @property
    def device(self) -> str:
        ua = self.user_agent
        if re.search(r"iPad|Tablet", ua):
            return "tablet"
        if re.search(r"Mobi|iPhone|Android", ua):
            return "mobile"
        return "desktop" if ua else ""

    @property
    def browser(self) -> str:
        for name, pattern in (
            ("Edge", r"Edg/"),
            ("Firefox", r"Firefox/"),
            ("Chrome", r"Chrome/|CriOS/"),
            ("Safari", r"Safari/"),
        ):
            if re.search(pattern, self.user_agent):
                return name
        return "other" if self.user_agent else ""


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    session_idle: timedelta = timedelta(hours=2)
    session_absolute: timedelta = timedelta(hours=12)
    remember_me: timedelta = timedelta(days=30)
    lockout_failures: int = 10
    lockout_window: timedelta = timedelta(minutes=15)
    lockout_duration: timedelta = timedelta(minutes=15)
    activity_retention: timedelta = timedelta(days=180)
    # (hits, window seconds) per client address and per account
    sign_in_limit: tuple[int, int] = (20, 60)
    email_limit: tuple[int, int] = (5, 3600)


class SecondFactorCheck(Protocol):
    """Checks a TOTP or recovery code at sign-in; the method used, or None if wrong."""

    async def __call__(
        self, uow: UnitOfWork, user: User, otp_code: str | None, recovery_code: str | None
    ) -> SignInMethod | None: ...


@dataclass(frozen=True, slots=True)
class SignIn:
    user: User
    token: str
    session: Session


class Accounts:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        sessions: SessionStore,
        hasher: PasswordHasher,
        limits: RateLimiter,
        notifications: Notifications,
        clock: Callable[[], datetime],
        policy: AccountPolicy,
        second_factor: SecondFactorCheck | None = None,
    ) -> None:
        self._uow = uow
        self._sessions = sessions
        self._hasher = hasher
        self._limits = limits
        self._mail = notifications
        self._clock = clock
        self.policy = policy
        self._second_factor = second_factor
        self._dummy_hash: str | None = None

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
        require(actor, Permission.MANAGE_ACCOUNTS)
        if role is not Role.USER:
            require(actor, Permission.CHANGE_ROLES)
        check_password(password)
        address = normalize_email(email)
        now = self._clock()
        user = User(
            id=uuid7(),
            email=address,
            name=clean_name(name) if name.strip() else address.split("@")[0],
            password_hash=await self._hasher.hash(password),
            role=role,
            created_at=now,
            email_verified_at=now if verified else None,
        )
        async with self._uow() as uow:
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
        async with self._uow() as uow:
            return await uow.users.list()

    async def get_by_email(self, email: str) -> User | None:
        async with self._uow() as uow:
            return await uow.users.get_by_email(normalize_email(email))

    async def set_status(
        self, email: str, status: UserStatus, *, actor: Actor, ip: str = ""
    ) -> User:
        """Disable or re-enable an account; disabling ends its sessions."""
        action = "user.disable" if status is UserStatus.DISABLED else "user.enable"
        user = await self._change_by_email(email, action, actor, ip, status=status)
        if status is UserStatus.DISABLED:
            await self._sessions.delete_for_user(user.id)
        return user

    def now(self) -> datetime:
        return self._clock()

    async def lock(self, email: str, *, until: datetime | None, actor: Actor, ip: str = "") -> User:
        """Lock an account by hand until a time (operators; None unlocks); locking ends
        its sessions."""
        action = "user.unlock" if until is None else "user.lock"
        user = await self._change_by_email(email, action, actor, ip, locked_until=until)
        if until is not None:
            await self._sessions.delete_for_user(user.id)
        return user

    async def mark_verified(self, email: str, *, actor: Actor, ip: str = "") -> User:
        require(actor, Permission.MANAGE_ACCOUNTS)
        async with self._uow() as uow:
            user = await _by_email(uow, email)
        if user.email_verified_at is not None:
            return user
        return await self._change_by_email(
            email, "user.verify", actor, ip, email_verified_at=self._clock()
        )

    async def _change_by_email(
        self, email: str, action: str, actor: Actor, ip: str, **changes: object
    ) -> User:
        """A staff change to the account with that email (NotFound if none), written to
        the audit log as `action` in the same transaction."""
        require(actor, Permission.MANAGE_ACCOUNTS)
        async with self._uow() as uow:
            user = await _by_email(uow, email)
            for name, value in changes.items():
                setattr(user, name, value)
            await uow.users.update(user)
            await record(
                uow,
                actor,
                action,
                target=("user", user.id),
                now=self._clock(),
                ip=ip,
                details={"email": user.email, **{k: _plain(v) for k, v in changes.items()}},
            )
            await uow.commit()
        return user

    # --- sign-up and verification (A1, A3) --------------------------------------------

    async def register(
        self, *, name: str, email: str, password: str, terms_accepted: bool, client: Client
    ) -> None:
        """Create an unverified account and mail a verification link.

        The reply is the same whether or not the email is taken; the owner of a taken
        address is told by mail that someone tried.
        """
        await self._limit(f"register:ip:{client.ip}", self.policy.email_limit)
        if not terms_accepted:
            raise ValidationError("Accept the terms of service to sign up.", code="terms_required")
        name = clean_name(name)
        address = normalize_email(email)
        check_password(password)
        password_hash = await self._hasher.hash(password)
        await self._limit(f"register:email:{address}", self.policy.email_limit)
        async with self._uow() as uow:
            existing = await uow.users.get_by_email(address)
            if existing is not None:
                await self._mail.send(
                    uow,
                    "signup_attempt",
                    to=existing.email,
                    name=existing.name,
                    link=self._mail.link("/forgot-password"),
                )
                await uow.commit()
                return
            now = self._clock()
            user = User(
                id=uuid7(),
                email=address,
                name=name,
                password_hash=password_hash,
                role=Role.USER,
                created_at=now,
                terms_accepted_at=now,
                password_changed_at=now,
            )
            await uow.users.add(user)
            await self._send_verification(uow, user)
            await uow.commit()

    async def resend_verification(self, *, email: str, client: Client) -> None:
        """Mail a fresh link to an unverified account; silent otherwise."""
        await self._limit(f"verify:ip:{client.ip}", self.policy.email_limit)
        address = _quiet_email(email)
        if address is None:
            return
        await self._limit(f"verify:email:{address}", self.policy.email_limit)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(address)
            if user is None or user.is_verified or user.status is not UserStatus.ACTIVE:
                return
            await uow.account_tokens.void(user.id, TokenPurpose.VERIFY_EMAIL, at=self._clock())
            await self._send_verification(uow, user)
            await uow.commit()

    async def verify_email(self, token: str, *, client: Client | None = None) -> User:
        """Confirm an address: a new account's, or the new one of an email change."""
        await self._limit_links(client)
        async with self._uow() as uow:
            stored = await self._use_token(
                uow, token, TokenPurpose.VERIFY_EMAIL, TokenPurpose.CHANGE_EMAIL
            )
            user = await uow.users.get(stored.user_id)
            if user is None:
                raise _bad_link()
            now = self._clock()
            if stored.purpose is TokenPurpose.CHANGE_EMAIL:
                old = user.email
                user.email = stored.data["email"]
                user.email_verified_at = now
                await uow.users.update(user)  # Conflict if someone took the address meanwhile
                await self._mail.send(
                    uow, "email_changed", to=old, name=user.name, new_email=user.email
                )
            elif user.email_verified_at is None:
                user.email_verified_at = now
                await uow.users.update(user)
                await self._mail.welcome(uow, user)
            await uow.commit()
        return user

    async def _send_verification(self, uow: UnitOfWork, user: User) -> None:
        token = await self._issue(uow, user, TokenPurpose.VERIFY_EMAIL)
        await self._mail.send(
            uow,
            "verify_email",
            to=user.email,
            name=user.name,
            link=self._mail.link(f"/verify-email?token={token}"),
        )

    # --- password recovery and unlock (A2, A4) ----------------------------------------

    async def forgot_password(self, *, email: str, client: Client) -> None:
        """Mail a single-use 30-minute reset link; the same reply for any email."""
        await self._limit(f"reset:ip:{client.ip}", self.policy.email_limit)
        address = _quiet_email(email)
        if address is None:
            return
        await self._limit(f"reset:email:{address}", self.policy.email_limit)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(address)
            if user is None or user.status is not UserStatus.ACTIVE:
                return
            await uow.account_tokens.void(user.id, TokenPurpose.RESET_PASSWORD, at=self._clock())
            token = await self._issue(uow, user, TokenPurpose.RESET_PASSWORD)
            await self._mail.send(
                uow,
                "reset_password",
                to=user.email,
                name=user.name,
                link=self._mail.link(f"/reset-password?token={token}"),
            )
            await uow.commit()

    async def reset_password(
        self, *, token: str, password: str, client: Client | None = None
    ) -> User:
        """Set a new password from a reset link; every session ends and the owner is told."""
        await self._limit_links(client)
        check_password(password)
        password_hash = await self._hasher.hash(password)
        async with self._uow() as uow:
            stored = await self._use_token(uow, token, TokenPurpose.RESET_PASSWORD)
            user = await uow.users.get(stored.user_id)
            if user is None:
                raise _bad_link()
            now = self._clock()
            user.password_hash = password_hash
            user.password_changed_at = now
            user.locked_until = min(user.locked_until, now) if user.locked_until else None
            # Whoever could read this mailbox controls the address: count it as verified.
            user.email_verified_at = user.email_verified_at or now
            await uow.users.update(user)
            await self._mail.password_changed(uow, user, now)
            await uow.commit()
        await self._sessions.delete_for_user(user.id)
        return user

    async def unlock(self, token: str, *, client: Client | None = None) -> User:
        await self._limit_links(client)
        async with self._uow() as uow:
            stored = await self._use_token(uow, token, TokenPurpose.UNLOCK)
            user = await uow.users.get(stored.user_id)
            if user is None:
                raise _bad_link()
            # A lock that ended now (not None): failures before it stop counting.
            now = self._clock()
            user.locked_until = min(user.locked_until, now) if user.locked_until else None
            await uow.users.update(user)
            await uow.commit()
        return user

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
        message, status and (by hashing anyway) similar timing.
        """
        failure = AuthenticationFailed(
            "The email or password is not right.", code="bad_credentials"
        )
        await self._limit(f"signin:ip:{client.ip}", self.policy.sign_in_limit)
        address = _quiet_email(email) or email.strip().lower()[:254]
        if control_character(address) is not None:
            # Nobody's address: nothing to look up (PostgreSQL cannot) or to record.
            raise failure
        await self._limit(f"signin:email:{address}", self.policy.sign_in_limit)
        async with self._uow() as uow:
            user = await uow.users.get_by_email(address)
        if user is None or user.password_hash is None:
            await self._hasher.verify(await self._dummy(), password)
            await self._record(
                address, None, False, SignInMethod.PASSWORD, "bad_credentials", client
            )
            raise failure
        now = self._clock()
        password_ok = await self._hasher.verify(user.password_hash, password)
        if user.status is not UserStatus.ACTIVE:
            # Checked before the password, so guesses cannot lock (and mail) a disabled account.
            await self._record(address, user, False, SignInMethod.PASSWORD, "disabled", client)
            raise failure
        if user.is_locked(now):
            await self._record(address, user, False, SignInMethod.PASSWORD, "locked", client)
            raise failure
        if not password_ok:
            await self._failed_password(user, client)
            raise failure
        method = SignInMethod.PASSWORD
        if user.has_two_factor:
            if self._second_factor is None:
                raise DomainError("Two-factor sign-in is not available.", code="2fa_unavailable")
            if not otp_code and not recovery_code:
                raise SecondFactorRequired(
                    "Enter the code from your authenticator app, or a recovery code."
                )
            async with self._uow() as uow:
                method_used = await self._second_factor(uow, user, otp_code, recovery_code)
                await uow.commit()
            if method_used is None:
                await self._failed_password(user, client, reason="bad_second_factor")
                raise AuthenticationFailed(
                    "That code is not right; try the current one.", code="bad_second_factor"
                )
            method = method_used
        if self._hasher.needs_rehash(user.password_hash):
            user.password_hash = await self._hasher.hash(password)
            async with self._uow() as uow:
                await uow.users.update(user)
                await uow.commit()
        return await self.start_session(user, client=client, remember_me=remember_me, method=method)

    async def start_session(
        self, user: User, *, client: Client, remember_me: bool, method: SignInMethod
    ) -> SignIn:
        """A brand-new session (a new id at every sign-in: no fixation)."""
        now = self._clock()
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
        await self._sessions.add(session)
        await self._record(user.email, user, True, method, "", client)
        return SignIn(user=user, token=token, session=session)

    async def second_factor_failed(self, user: User, client: Client) -> None:
        """A wrong code after another first step (social sign-in): counts toward lockout."""
        await self._failed_password(user, client, reason="bad_second_factor")

    async def _failed_password(
        self, user: User, client: Client, *, reason: str = "bad_credentials"
    ) -> None:
        now = self._clock()
        async with self._uow() as uow:
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
                await uow.account_tokens.void(user.id, TokenPurpose.UNLOCK, at=now)
                token = await self._issue(uow, user, TokenPurpose.UNLOCK)
                await self._mail.send(
                    uow,
                    "account_locked",
                    to=user.email,
                    name=user.name,
                    link=self._mail.link(f"/unlock?token={token}"),
                )
                log.warning("account locked after failed sign-ins", extra={"user_id": str(user.id)})
            await uow.commit()

    # --- sessions (A7) ----------------------------------------------------------------

    async def session_user(self, token: str) -> tuple[User, Session] | None:
        """The signed-in user and session, sliding the idle timeout; None when over."""
        token_hash = hash_token(token)
        now = self._clock()
        session = await self._sessions.get(token_hash)
        if session is None:
            return None
        if not session.is_active(now):
            await self._sessions.delete(token_hash)
            return None
        async with self._uow() as uow:
            user = await uow.users.get(session.user_id)
        # A lock from failed sign-ins only stops new sign-ins: someone guessing the
        # password must not sign the real owner out. An operator's lock ends sessions.
        if user is None or user.status is not UserStatus.ACTIVE:
            await self._sessions.delete(token_hash)
            return None
        if now - session.last_seen_at > timedelta(minutes=1):
            idle = self.policy.remember_me if session.remember_me else self.policy.session_idle
            await self._sessions.touch(
                token_hash, last_seen_at=now, idle_expires_at=min(session.expires_at, now + idle)
            )
        return user, session

    async def user_for_session(self, token: str) -> User | None:
        found = await self.session_user(token)
        return None if found is None else found[0]

    async def sign_out(self, token: str) -> None:
        await self._sessions.delete(hash_token(token))

    async def list_sessions(self, user: User) -> list[Session]:
        now = self._clock()
        return [s for s in await self._sessions.list_for_user(user.id) if s.is_active(now)]

    async def end_session(self, user: User, session_id: str) -> None:
        for session in await self._sessions.list_for_user(user.id):
            if str(session.id) == session_id:
                await self._sessions.delete(session.token_hash)
                return
        raise NotFound("No such session.", code="session_not_found")

    async def end_other_sessions(self, user: User, current_token: str) -> int:
        return await self._sessions.delete_for_user(user.id, keep=hash_token(current_token))

    async def login_activity(self, user: User, *, limit: int = 100) -> list[LoginEvent]:
        async with self._uow() as uow:
            return await uow.login_events.list_for_user(user.id, limit=limit)

    async def forget_old_activity(self) -> int:
        """Delete login activity older than the retention period (180 days by default)."""
        async with self._uow() as uow:
            deleted = await uow.login_events.delete_before(
                self._clock() - self.policy.activity_retention
            )
            await uow.commit()
        return deleted

    # --- profile (P1, A3) and re-authentication (A6) ----------------------------------

    async def reauthenticate(self, user: User, session: Session, password: str) -> None:
        """Type the password again to open the 5-minute window for sensitive changes."""
        # Throttled like sign-in (same per-account budget): a session must not become a
        # password-guessing oracle.
        await self._limit(f"signin:email:{user.email}", self.policy.sign_in_limit)
        if user.password_hash is None or not await self._hasher.verify(
            user.password_hash, password
        ):
            raise AuthenticationFailed("That password is not right.", code="bad_password")
        await self._sessions.mark_reauthenticated(session.token_hash, at=self._clock())

    def require_recent_authentication(self, session: Session) -> None:
        if not session.recently_authenticated(self._clock()):
            raise ReauthenticationRequired(
                "Confirm your password first; sensitive changes need it within 5 minutes."
            )

    async def update_name(self, user: User, name: str) -> User:
        async with self._uow() as uow:
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
        elif not await self._hasher.verify(user.password_hash, current_password):
            raise AuthenticationFailed("The current password is not right.", code="bad_password")
        check_password(new_password)
        password_hash = await self._hasher.hash(new_password)
        now = self._clock()
        async with self._uow() as uow:
            stored = await uow.users.get(user.id)
            if stored is None:
                raise NotFound("No such account.", code="user_not_found")
            stored.password_hash = password_hash
            stored.password_changed_at = now
            await uow.users.update(stored)
            await self._mail.password_changed(uow, stored, now)
            await uow.commit()
        await self._sessions.delete_for_user(user.id, keep=session.token_hash)
        await self._sessions.mark_reauthenticated(session.token_hash, at=now)

    async def change_email(self, user: User, session: Session, *, new_email: str) -> None:
        """Mail a confirmation link to the new address and tell the old one.

        The change takes effect only once the new address is confirmed.
        """
        self.require_recent_authentication(session)
        address = normalize_email(new_email)
        if address == user.email:
            raise ValidationError("That is already your email.", code="email_unchanged")
        async with self._uow() as uow:
            if await uow.users.get_by_email(address) is not None:
                # Same reply as success: an email change must not reveal other accounts.
                await uow.commit()
                return
            await uow.account_tokens.void(user.id, TokenPurpose.CHANGE_EMAIL, at=self._clock())
            token = await self._issue(uow, user, TokenPurpose.CHANGE_EMAIL, email=address)
            await self._mail.send(
                uow,
                "change_email",
                to=address,
                name=user.name,
                link=self._mail.link(f"/verify-email?token={token}"),
            )
            await self._mail.send(
                uow, "email_change_requested", to=user.email, name=user.name, new_email=address
            )
            await uow.commit()

    # --- helpers ----------------------------------------------------------------------

    async def _issue(self, uow: UnitOfWork, user: User, purpose: TokenPurpose, **data: str) -> str:
        token = secrets.token_urlsafe(EMAIL_TOKEN_BYTES)
        now = self._clock()
        await uow.account_tokens.add(
            AccountToken(
                id=uuid7(),
                user_id=user.id,
                purpose=purpose,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + TOKEN_LIFETIMES[purpose],
                data=data,
            )
        )
        return token

    async def _use_token(
        self, uow: UnitOfWork, token: str, *purposes: TokenPurpose
    ) -> AccountToken:
        stored = await uow.account_tokens.get_by_hash(hash_token(token)) if token else None
        now = self._clock()
        if stored is None or stored.purpose not in purposes or not stored.is_usable(now):
            raise _bad_link()
        if not await uow.account_tokens.mark_used(stored.id, at=now):
            raise _bad_link()
        return stored

    async def _limit_links(self, client: Client | None) -> None:
        """Mailed links are unguessable; the limit still stops anyone from trying."""
        if client is not None:
            await self._limit(f"link:ip:{client.ip}", self.policy.sign_in_limit)

    async def _limit(self, key: str, rule: tuple[int, int]) -> None:
        limit, window = rule
        if not await self._limits.hit(key, limit=limit, window_seconds=window):
            raise RateLimited(retry_after=window)

    def _event(
        self,
        email: str,
        user: User | None,
        success: bool,
        method: str,
        reason: str,
        client: Client,
    ) -> LoginEvent:
        return LoginEvent(
            id=uuid7(),
            occurred_at=self._clock(),
            email=email,
            success=success,
            method=method,
            user_id=user.id if user else None,
            reason=reason,
            ip=client.ip,
            user_agent=client.user_agent[:500],
            device=client.device,
            country=client.country,
        )

    async def _record(
        self,
        email: str,
        user: User | None,
        success: bool,
        method: str,
        reason: str,
        client: Client,
    ) -> None:
        async with self._uow() as uow:
            await uow.login_events.add(self._event(email, user, success, method, reason, client))
            await uow.commit()

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash


async def _by_email(uow: UnitOfWork, email: str) -> User:
    user = await uow.users.get_by_email(normalize_email(email))
    if user is None:
        raise NotFound(f"No account has the email {email}.", code="user_not_found")
    return user


def _plain(value: object) -> object:
    """A changed field as JSON: times as ISO text, enums as their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, UserStatus) else value


def _quiet_email(email: str) -> str | None:
    try:
        return normalize_email(email)
    except ValidationError:
        return None


def _bad_link() -> ValidationError:
    return ValidationError(
        "This link is not valid any more: it was used already, it expired, or a newer "
        "one replaced it.",
        code="link_invalid",
    )
