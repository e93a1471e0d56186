"""What every account use case shares: who is calling (Client), the account policy,
the errors they raise, and how tokens are kept (by hash)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import (
    User,
)
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    PermissionDenied,
)

SESSION_TOKEN_BYTES = 32  # 256 random bits
EMAIL_TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """Tokens are stored by hash, so a leaked table holds no usable cookie or link."""
    return hashlib.sha256(token.encode()).hexdigest()


class SecondFactorRequired(AuthenticationFailed):
    """The password was right; a TOTP or recovery code must follow.

    `user` is the account the password proved, so the web form can hold the first step
    (sealed, short-lived) and ask only for the code next, never for the password again.
    """

    code = "second_factor_required"

    def __init__(self, message: str, *, user: User | None = None) -> None:
        super().__init__(message)
        self.user = user


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
    email_limit: tuple[int, int] = (5, 3600)  # per account
    # Mailed links per client address: many people can share one (a school, an office).
    address_email_limit: tuple[int, int] = (50, 3600)
    view_as: timedelta = timedelta(minutes=15)  # how long staff view the site as a user


class SecondFactorCheck(Protocol):
    """Checks a TOTP or recovery code at sign-in; the method used, or None if wrong."""

    async def __call__(
        self, uow: AccountsUnitOfWork, user: User, otp_code: str | None, recovery_code: str | None
    ) -> SignInMethod | None: ...


@dataclass(frozen=True, slots=True)
class SignIn:
    user: User
    token: str
    session: Session
