"""The state and helpers every part of `Accounts` uses: stores, limits, tokens and
the login activity record."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from voiceqr.application.accounts.policy import (
    EMAIL_TOKEN_BYTES,
    AccountPolicy,
    Client,
    SecondFactorCheck,
    hash_token,
)
from voiceqr.application.accounts.ports import AccountsUnitOfWork, PasswordHasher, SessionStore
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.shared.ports import RateLimiter
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.tokens import TOKEN_LIFETIMES, AccountToken, TokenPurpose
from voiceqr.domain.accounts.users import (
    User,
    normalize_email,
)
from voiceqr.domain.shared.errors import (
    RateLimited,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7


@dataclass(slots=True, kw_only=True, eq=False)
class AccountsCore:
    """What the parts of `Accounts` share; the use cases are in its subclasses."""

    uow: Callable[[], AccountsUnitOfWork]
    sessions: SessionStore
    hasher: PasswordHasher
    limits: RateLimiter
    notifications: Notifications
    clock: Callable[[], datetime]
    policy: AccountPolicy
    second_factor: SecondFactorCheck | None = None
    # A hash to check wrong passwords against when the account does not exist, made once.
    _dummy_hash: str | None = field(default=None, init=False, repr=False)

    async def _mail_link(
        self,
        uow: AccountsUnitOfWork,
        user: User,
        purpose: TokenPurpose,
        template: str,
        path: str,
        *,
        to: str | None = None,
        **data: str,
    ) -> None:
        """Mail a fresh link for `purpose` (to the user unless `to` says otherwise); the
        links mailed before for it stop working, so only the newest one does."""
        now = self.clock()
        await uow.account_tokens.void(user.id, purpose, at=now)
        token = secrets.token_urlsafe(EMAIL_TOKEN_BYTES)
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
        await self.notifications.send(
            uow,
            template,
            to=to or user.email,
            name=user.name,
            link=self.notifications.link(f"{path}?token={token}"),
        )

    async def _use_link(
        self, uow: AccountsUnitOfWork, token: str, *purposes: TokenPurpose
    ) -> tuple[AccountToken, User]:
        """Spend a mailed link's token; `bad_link` unless it and its user are there."""
        stored = await uow.account_tokens.get_by_hash(hash_token(token)) if token else None
        now = self.clock()
        if stored is None or stored.purpose not in purposes or not stored.is_usable(now):
            raise bad_link()
        if not await uow.account_tokens.mark_used(stored.id, at=now):
            raise bad_link()
        user = await uow.users.get(stored.user_id)
        if user is None:
            raise bad_link()
        return stored, user

    async def _limit_links(self, client: Client | None) -> None:
        """Mailed links are unguessable; the limit still stops anyone from trying."""
        if client is not None:
            await self._limit(f"link:ip:{client.ip}", self.policy.sign_in_limit)

    async def _limit_mailing(self, action: str, email: str, client: Client) -> str | None:
        """Limit a request that mails a link, per client address and per email; the
        normalised email, or None when it is not one (the caller then replies as if it
        were). Text that is no email mails nothing, so it counts against no limit."""
        address = quiet_email(email)
        if address is not None:
            await self._limit(f"{action}:ip:{client.ip}", self.policy.address_email_limit)
            await self._limit(f"{action}:email:{address}", self.policy.email_limit)
        return address

    async def _limit(self, key: str, rule: tuple[int, int]) -> None:
        limit, window = rule
        if not await self.limits.hit(key, limit=limit, window_seconds=window):
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
            occurred_at=self.clock(),
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

    async def record_refused_sign_in(
        self, email: str, user: User | None, method: str, reason: str, client: Client
    ) -> None:
        """Keep a refused sign-in in the login activity (by another way in, e.g. Google)."""
        await self._record(self._event(email, user, False, method, reason, client))

    async def _record(self, event: LoginEvent) -> None:
        """Keep a sign-in event on its own (a refused sign-in changes nothing else)."""
        async with self.uow() as uow:
            await uow.login_events.add(event)
            await uow.commit()

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash


def quiet_email(email: str) -> str | None:
    try:
        return normalize_email(email)
    except ValidationError:
        return None


def bad_link() -> ValidationError:
    return ValidationError(
        "This link is not valid any more: it was used already, it expired, or a newer "
        "one replaced it.",
        code="link_invalid",
    )
