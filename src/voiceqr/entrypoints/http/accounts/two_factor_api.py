"""Two-factor sign-in in the JSON API: /api/v1/me/2fa.

Setting up and regenerating recovery codes need the password within the last
5 minutes (POST /api/v1/me/reauthenticate); turning it off takes the password in
the request. Replies that carry a secret or codes are never cached.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.accounts.schemas import PasswordBody
from voiceqr.entrypoints.http.kit.auth import current_session, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, OtpCode


class TwoFactorStatusOut(msgspec.Struct):
    enabled: bool
    enabled_at: datetime | None
    pending_setup: bool
    recovery_codes_left: int


class TwoFactorSetupOut(msgspec.Struct):
    secret: str
    otpauth_uri: str
    qr_svg: str


class CodeBody(Body):
    code: OtpCode


class RecoveryCodesOut(msgspec.Struct):
    recovery_codes: list[str]


class TwoFactorController(Controller):
    path = "/me/2fa"
    tags = ["me"]
    # A cookie session, not only a user: these are changes to how the account signs in.
    dependencies = {"user": Provide(current_user), "session": Provide(current_session)}

    @get("/")
    async def status(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> TwoFactorStatusOut:
        """Whether two-factor sign-in is on, and how many recovery codes are left."""
        status = await platform.accounts.two_factor.status(user)
        return TwoFactorStatusOut(
            enabled=status.enabled,
            enabled_at=status.enabled_at,
            pending_setup=status.pending_setup,
            recovery_codes_left=status.recovery_codes_left,
        )

    @post("/setup", status_code=200, cache_control=NO_STORE_REPLY, responses=problems(409))
    async def setup(
        self,
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> TwoFactorSetupOut:
        """A new secret for an authenticator app, as text, an otpauth URI and a QR code (SVG).

        Nothing changes at sign-in until /confirm gets a code made from it. Needs the
        password within the last 5 minutes (403 `reauthentication_required`).
        """
        setup = await platform.accounts.two_factor.begin_setup(user, session)
        return TwoFactorSetupOut(
            secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_svg=setup.qr_svg
        )

    @post("/confirm", status_code=200, cache_control=NO_STORE_REPLY, responses=problems(409, 429))
    async def confirm(
        self,
        data: JSONBody[CodeBody],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> RecoveryCodesOut:
        """Turn two-factor sign-in on with a code from the app (422 `bad_code` if wrong).

        Returns 10 single-use recovery codes, shown this once.
        """
        return RecoveryCodesOut(await platform.accounts.two_factor.confirm_setup(user, data.code))

    @post("/recovery-codes", status_code=200, cache_control=NO_STORE_REPLY, responses=problems(409))
    async def regenerate(
        self,
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> RecoveryCodesOut:
        """10 new recovery codes; the old ones stop working. Needs a recent password."""
        return RecoveryCodesOut(
            await platform.accounts.two_factor.regenerate_recovery_codes(user, session)
        )

    @post("/disable", status_code=HTTP_204_NO_CONTENT, responses=problems(409, 429))
    async def disable(
        self,
        data: JSONBody[PasswordBody],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> None:
        """Turn two-factor sign-in off; needs the password (401 `bad_password` if wrong)."""
        await platform.accounts.two_factor.disable(user, session, data.password)
