"""Accounts at this stage: users made by operators, signing in with a password."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from voiceqr.application.ports import PasswordHasher, UnitOfWorkFactory
from voiceqr.domain.errors import AuthenticationFailed, PermissionDenied
from voiceqr.domain.ids import uuid7
from voiceqr.domain.sessions import Session
from voiceqr.domain.users import Role, User, check_password, normalize_email

SESSION_TOKEN_BYTES = 32  # 256 random bits


def hash_token(token: str) -> str:
    """Sessions are stored by hash, so a leaked table holds no usable cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SignIn:
    user: User
    token: str
    expires_at: datetime


class Accounts:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hasher: PasswordHasher,
        clock: Callable[[], datetime],
        session_idle: timedelta,
        session_absolute: timedelta,
    ) -> None:
        self._uow = uow
        self._hasher = hasher
        self._clock = clock
        self._idle = session_idle
        self._absolute = session_absolute
        self._dummy_hash: str | None = None

    async def create_user(self, *, email: str, name: str, password: str, role: Role) -> User:
        """Create an account (operators, via the CLI). Raises Conflict if the email is taken."""
        check_password(password)
        address = normalize_email(email)
        user = User(
            id=uuid7(),
            email=address,
            name=name.strip() or address.split("@")[0],
            password_hash=await self._hasher.hash(password),
            role=role,
            created_at=self._clock(),
        )
        async with self._uow() as uow:
            await uow.users.add(user)
            await uow.commit()
        return user

    async def list_users(self) -> list[User]:
        async with self._uow() as uow:
            return await uow.users.list()

    async def get_by_email(self, email: str) -> User | None:
        async with self._uow() as uow:
            return await uow.users.get_by_email(normalize_email(email))

    async def sign_in(self, *, email: str, password: str) -> SignIn:
        """A new session for the right password; the same error for every wrong case."""
        failure = AuthenticationFailed(
            "The email or password is not right.", code="bad_credentials"
        )
        try:
            address = normalize_email(email)
        except Exception:
            raise failure from None
        async with self._uow() as uow:
            user = await uow.users.get_by_email(address)
        if user is None:
            # Hash anyway so an unknown address takes as long as a wrong password.
            await self._hasher.verify(await self._dummy(), password)
            raise failure
        if not await self._hasher.verify(user.password_hash, password):
            raise failure
        now = self._clock()
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        session = Session(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self._absolute,
            idle_expires_at=now + self._idle,
        )
        async with self._uow() as uow:
            if self._hasher.needs_rehash(user.password_hash):
                user.password_hash = await self._hasher.hash(password)
                await uow.users.update(user)
            await uow.sessions.add(session)
            await uow.commit()
        return SignIn(user=user, token=token, expires_at=session.expires_at)

    async def user_for_session(self, token: str) -> User | None:
        """The signed-in user, sliding the idle timeout; None when the session is over."""
        token_hash = hash_token(token)
        now = self._clock()
        async with self._uow() as uow:
            session = await uow.sessions.get(token_hash)
            if session is None:
                return None
            if not session.is_active(now):
                await uow.sessions.delete(token_hash)
                await uow.commit()
                return None
            user = await uow.users.get(session.user_id)
            if now - session.last_seen_at > timedelta(minutes=1):
                await uow.sessions.touch(
                    token_hash, last_seen_at=now, idle_expires_at=now + self._idle
                )
                await uow.commit()
            return user

    async def sign_out(self, token: str) -> None:
        async with self._uow() as uow:
            await uow.sessions.delete(hash_token(token))
            await uow.commit()

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied("Only administrators can do this.", code="admin_only")
