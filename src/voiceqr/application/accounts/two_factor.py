"""Two-factor sign-in (A6): TOTP codes from an authenticator app, and recovery codes.

Setting it up takes two steps: `begin_setup` makes a secret and keeps it (sealed by
the SecretBox) on the account, and only `confirm_setup`, given a code the app made
from that secret, turns two-factor sign-in on and hands out the recovery codes.

A TOTP code is accepted for its own 30-second step and one step either side, and
only once: the account remembers the last step used and refuses that step and every
earlier one. Recovery codes have 80 random bits each, so a SHA-256 hash is enough to
store them (nothing to brute-force); each works once.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pyotp

from voiceqr.application.accounts.policy import ReauthenticationRequired, hash_token
from voiceqr.application.accounts.ports import AccountsUnitOfWork, PasswordHasher, SecretBox
from voiceqr.application.shared.ports import QrRenderer, RateLimiter
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.two_factor import (
    RECOVERY_CODE_COUNT,
    TOTP_DRIFT_STEPS,
    TOTP_STEP_SECONDS,
    RecoveryCode,
)
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7

# RFC 4648 base32: no 0, 1, 8 or 9, so nothing to mistake for O, I or B when typing.
RECOVERY_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECOVERY_CODE_GROUPS = 4
RECOVERY_CODE_GROUP_LENGTH = 4  # 16 characters of 5 bits: 80 bits per code
TOTP_DIGITS = 6
QR_SIZE = 240


@dataclass(frozen=True, slots=True)
class TwoFactorPolicy:
    # Code and password checks per account, right or wrong: (attempts, window seconds).
    # Generous for a person; a guesser also meets the sign-in lockout (10 failures).
    attempts: tuple[int, int] = (10, 900)


@dataclass(frozen=True, slots=True)
class TwoFactorSetup:
    """What the user needs to add the account to an authenticator app."""

    secret: str  # base32, for typing in by hand
    otpauth_uri: str
    qr_svg: str  # the URI as a QR code


@dataclass(frozen=True, slots=True)
class TwoFactorStatus:
    enabled: bool
    enabled_at: datetime | None
    pending_setup: bool  # a secret was made but not confirmed with a code yet
    recovery_codes_left: int


def normalize_recovery_code(code: str) -> str:
    """What was typed, without spaces or dashes and in capitals."""
    return "".join(code.split()).replace("-", "").upper()


def new_recovery_code() -> str:
    """Like `K7QX-M2PA-ZR4T-WB6C`: 80 random bits in groups a person can copy."""
    return "-".join(
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_GROUP_LENGTH))
        for _ in range(RECOVERY_CODE_GROUPS)
    )


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)


def _otp_digits(code: str) -> str | None:
    digits = "".join(code.split()).replace("-", "")
    return digits if len(digits) == TOTP_DIGITS and digits.isascii() and digits.isdigit() else None


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoFactor:
    """Setting up, using and turning off two-factor sign-in."""

    uow: Callable[[], AccountsUnitOfWork]
    hasher: PasswordHasher
    limits: RateLimiter
    secret_box: SecretBox
    qr: QrRenderer
    clock: Callable[[], datetime]
    policy: TwoFactorPolicy = TwoFactorPolicy()
    issuer: str = "voiceqr"

    async def status(self, user: User) -> TwoFactorStatus:
        async with self.uow() as uow:
            stored = await _load(uow, user)
            unused = await uow.recovery_codes.list_unused(user.id) if stored.has_two_factor else []
        return TwoFactorStatus(
            enabled=stored.has_two_factor,
            enabled_at=stored.totp_enabled_at if stored.has_two_factor else None,
            pending_setup=stored.totp_secret is not None and stored.totp_enabled_at is None,
            recovery_codes_left=len(unused),
        )

    async def begin_setup(self, user: User, session: Session) -> TwoFactorSetup:
        """A new secret, kept sealed on the account until a code confirms it.

        Needs the password within the last 5 minutes. Starting again replaces an
        unconfirmed secret; an account with two-factor sign-in on must turn it off first.
        """
        self._require_recent_authentication(user, session)
        secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
        async with self.uow() as uow:
            stored = await _load(uow, user)
            if stored.has_two_factor:
                raise Conflict(
                    "Two-factor sign-in is on already; turn it off first to set it up again.",
                    code="two_factor_on",
                )
            stored.totp_secret = self.secret_box.encrypt(secret)
            stored.totp_enabled_at = None
            stored.totp_last_step = None
            await uow.users.update(stored)
            await uow.commit()
        return self._setup(stored.email, secret)

    async def pending_setup(self, user: User, session: Session) -> TwoFactorSetup | None:
        """The unconfirmed secret again (to retry a mistyped code); None if there is none.

        Like `begin_setup`, needs the password within the last 5 minutes.
        """
        self._require_recent_authentication(user, session)
        async with self.uow() as uow:
            stored = await _load(uow, user)
        if stored.has_two_factor or stored.totp_secret is None:
            return None
        return self._setup(stored.email, self.secret_box.decrypt(stored.totp_secret))

    async def confirm_setup(self, user: User, code: str) -> list[str]:
        """Turn two-factor sign-in on with a code from the app; the recovery codes.

        The codes are shown this once: only their hashes are kept.
        """
        await self._count_attempt(user)
        async with self.uow() as uow:
            stored = await _load(uow, user)
            if stored.has_two_factor:
                raise Conflict("Two-factor sign-in is on already.", code="two_factor_on")
            if stored.totp_secret is None:
                raise Conflict(
                    "Start the two-factor setup first.", code="two_factor_setup_not_started"
                )
            step = self._matching_step(stored, code)
            if step is None:
                raise ValidationError(
                    "That code is not right. Type the 6-digit code the app shows now.",
                    code="bad_code",
                )
            stored.totp_enabled_at = self.clock()
            stored.totp_last_step = step  # the confirming code cannot sign anyone in
            await uow.users.update(stored)
            codes = await self._new_recovery_codes(uow, stored)
            await uow.commit()
        return codes

    async def regenerate_recovery_codes(self, user: User, session: Session) -> list[str]:
        """Ten new recovery codes; the old ones stop working. Needs a recent password."""
        self._require_recent_authentication(user, session)
        async with self.uow() as uow:
            stored = await _load(uow, user)
            if not stored.has_two_factor:
                raise Conflict("Two-factor sign-in is off.", code="two_factor_off")
            codes = await self._new_recovery_codes(uow, stored)
            await uow.commit()
        return codes

    async def disable(self, user: User, session: Session, password: str) -> None:
        """Turn two-factor sign-in off (or drop an unfinished setup).

        The password typed with the request is the re-authentication: a right one is
        a fresh proof, whenever the session last saw the password.
        """
        _check_owner(user, session)
        await self._count_attempt(user)
        if user.password_hash is None or not await self.hasher.verify(user.password_hash, password):
            raise AuthenticationFailed("That password is not right.", code="bad_password")
        async with self.uow() as uow:
            stored = await _load(uow, user)
            stored.totp_secret = None
            stored.totp_enabled_at = None
            stored.totp_last_step = None
            await uow.users.update(stored)
            await uow.recovery_codes.replace(stored.id, [])
            await uow.commit()

    async def check_at_sign_in(
        self, uow: AccountsUnitOfWork, user: User, otp_code: str | None, recovery_code: str | None
    ) -> SignInMethod | None:
        """The second step of a sign-in (the SecondFactorCheck of `Accounts`).

        Runs in the caller's unit of work, which commits: a used TOTP step or recovery
        code is spent in the same transaction. None when neither code is right.
        """
        await self._count_attempt(user)
        stored = await uow.users.get(user.id)
        if stored is None or not stored.has_two_factor:
            return None
        method: SignInMethod | None = None
        step = self._matching_step(stored, otp_code) if otp_code else None
        # Spend the step with a compare-and-set: of two sign-ins racing with one code,
        # only one moves the step forward.
        if step is not None and await uow.users.advance_totp_step(stored.id, step):
            # The caller may save its own copy of the user afterwards (a password
            # rehash); it must not write the old step back and allow a replay.
            user.totp_last_step = step
            method = SignInMethod.TOTP
        elif recovery_code and await self._use_recovery_code(uow, stored, recovery_code):
            method = SignInMethod.RECOVERY_CODE
        return method

    # --- helpers ----------------------------------------------------------------------

    def _setup(self, email: str, secret: str) -> TwoFactorSetup:
        uri = _totp(secret).provisioning_uri(name=email, issuer_name=self.issuer)
        return TwoFactorSetup(
            secret=secret, otpauth_uri=uri, qr_svg=self.qr.svg(uri, size=QR_SIZE).decode()
        )

    def _matching_step(self, stored: User, code: str) -> int | None:
        """The time step whose code this is, if it is near now and after the last used."""
        digits = _otp_digits(code)
        if digits is None or stored.totp_secret is None:
            return None
        totp = _totp(self.secret_box.decrypt(stored.totp_secret))
        now = totp.timecode(self.clock())
        matched: int | None = None
        for step in range(now - TOTP_DRIFT_STEPS, now + TOTP_DRIFT_STEPS + 1):
            fresh = stored.totp_last_step is None or step > stored.totp_last_step
            if hmac.compare_digest(totp.generate_otp(step), digits) and fresh:
                matched = step
        return matched

    async def _use_recovery_code(self, uow: AccountsUnitOfWork, stored: User, code: str) -> bool:
        wanted = hash_token(normalize_recovery_code(code))
        found: RecoveryCode | None = None
        for candidate in await uow.recovery_codes.list_unused(stored.id):
            if hmac.compare_digest(candidate.code_hash, wanted):
                found = candidate
        # mark_used is a compare-and-set: of two sign-ins racing with one code, one wins.
        return found is not None and await uow.recovery_codes.mark_used(found.id, at=self.clock())

    async def _new_recovery_codes(self, uow: AccountsUnitOfWork, user: User) -> list[str]:
        now = self.clock()
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        await uow.recovery_codes.replace(
            user.id,
            [
                RecoveryCode(
                    id=uuid7(),
                    user_id=user.id,
                    code_hash=hash_token(normalize_recovery_code(code)),
                    created_at=now,
                )
                for code in codes
            ],
        )
        return codes

    def _require_recent_authentication(self, user: User, session: Session) -> None:
        _check_owner(user, session)
        if not session.recently_authenticated(self.clock()):
            raise ReauthenticationRequired(
                "Confirm your password first; sensitive changes need it within 5 minutes."
            )

    def _attempts_key(self, user: User) -> str:
        return f"2fa:user:{user.id}"

    async def _count_attempt(self, user: User) -> None:
        limit, window = self.policy.attempts
        if not await self.limits.hit(self._attempts_key(user), limit=limit, window_seconds=window):
            raise RateLimited(retry_after=window)


async def _load(uow: AccountsUnitOfWork, user: User) -> User:
    stored = await uow.users.get(user.id)
    if stored is None:
        raise NotFound("No such account.", code="user_not_found")
    return stored


def _check_owner(user: User, session: Session) -> None:
    if session.user_id != user.id:
        raise PermissionDenied("This session belongs to another account.", code="wrong_session")
