"""Sign-ins held for the second factor: the first step proved the person (a provider
vouched for them, or they typed the account's password), and the account has 2FA.

The first step is sealed into a record the browser carries for a few minutes, so the
next page asks for the code alone; the code then finishes the sign-in, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.policy import Client, SecondFactorCheck, SignIn
from voiceqr.application.accounts.ports import AccountsUnitOfWork, OneTimeKeys
from voiceqr.application.accounts.sealed_records import (
    SealedRecords,
    lifetime_seconds,
    random_token,
)
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.shared.errors import AuthenticationFailed

SECOND_FACTOR_LIFETIME = timedelta(minutes=5)
_SECOND_FACTOR = "oidc-2fa"


# Here rather than beside social sign-in, which builds on this module: finishing a held
# sign-in (the password form's too) yields the same result as a social one.
@dataclass(frozen=True, slots=True)
class SocialSignedIn:
    sign_in: SignIn
    next: str
    remember_me: bool
    created_account: bool = False
    linked: bool = False


@dataclass(frozen=True, slots=True)
class SecondFactorPending:
    """The first step proved the person (a provider vouched for them, or they typed the
    account's password); the account's 2FA code must still follow."""

    sealed: str
    max_age_seconds: int
    next: str


class HeldSignIns:
    """Holds a proved first step until the account's second factor is given."""

    def __init__(
        self,
        *,
        accounts: Accounts,
        uow: Callable[[], AccountsUnitOfWork],
        one_time_keys: OneTimeKeys,
        sealed_records: SealedRecords,
        clock: Callable[[], datetime],
        second_factor: SecondFactorCheck | None = None,
    ) -> None:
        self._second_factor = second_factor
        self._accounts = accounts
        self._uow = uow
        self._once = one_time_keys
        self._sealed = sealed_records
        self._clock = clock

    def hold_for_second_factor(
        self, user: User, *, method: SignInMethod, remember_me: bool, next: str
    ) -> SecondFactorPending:
        """A first step that proved the person (a provider, or the account's password),
        sealed for a few minutes, so the next page asks for the 2FA code alone."""
        pending = {
            "id": random_token(),
            "user_id": str(user.id),
            "provider": str(method),
            "remember_me": remember_me,
            "next": next,
            "expires_at": (self._clock() + SECOND_FACTOR_LIFETIME).timestamp(),
        }
        return SecondFactorPending(
            sealed=self._sealed.seal(_SECOND_FACTOR, pending),
            max_age_seconds=lifetime_seconds(SECOND_FACTOR_LIFETIME),
            next=next,
        )

    async def complete_second_factor(
        self,
        sealed: str,
        *,
        client: Client,
        otp_code: str | None = None,
        recovery_code: str | None = None,
    ) -> SocialSignedIn:
        """Finish a sign-in held by `hold_for_second_factor` (a social one, or the password
        form's) with the account's TOTP or recovery code."""
        pending = self._sealed.unseal(_SECOND_FACTOR, sealed)
        if pending is None or pending["expires_at"] < self._clock().timestamp():
            raise AuthenticationFailed(
                "This sign-in took too long; start again.", code="oidc_second_factor_expired"
            )
        async with self._uow() as uow:
            user = await uow.users.get(UUID(pending["user_id"]))
        if user is None or self._second_factor is None:
            raise AuthenticationFailed(
                "Start the sign-in again.", code="oidc_second_factor_expired"
            )
        if user.status is not UserStatus.ACTIVE or user.is_locked(self._clock()):
            raise AuthenticationFailed(
                "This account cannot sign in right now: it is disabled, or locked for a "
                "while after failed sign-ins.",
                code="account_unavailable",
            )
        async with self._uow() as uow:
            method = await self._second_factor(uow, user, otp_code, recovery_code)
            await uow.commit()
        if method is None:
            await self._accounts.second_factor_failed(user, client)
            raise AuthenticationFailed(
                "That code is not right; try the current one.", code="bad_second_factor"
            )
        ttl = lifetime_seconds(SECOND_FACTOR_LIFETIME)
        if not await self._once.use(f"{_SECOND_FACTOR}:{pending['id']}", ttl_seconds=ttl):
            raise AuthenticationFailed(
                "This sign-in was finished already; start again.", code="oidc_state_replayed"
            )
        signed = await self._accounts.start_session(
            user,
            client=client,
            remember_me=bool(pending["remember_me"]),
            # After a password the code is what the session is known by, as in `sign_in`.
            method=method
            if pending["provider"] == SignInMethod.PASSWORD
            else SignInMethod(pending["provider"]),
        )
        return SocialSignedIn(signed, str(pending["next"]), bool(pending["remember_me"]))
