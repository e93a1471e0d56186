"""Two-factor sign-in web pages: set up with a QR code, confirm with a code, see the
recovery codes once, get new ones, turn it off.

The security page shows the state (`accounts/security_2fa.html`, included there) and links here.
Setting up and new recovery codes need the password within 5 minutes: without it the
browser goes through /reauthenticate and comes back. Turning it off asks the password
on its own page. Pages that show a secret or codes are never cached.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect, Template

from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.application.accounts.two_factor import TwoFactorSetup
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status, refused

T = TypeVar("T")

SECTION = "/security#two-factor"
SETUP = "/security/2fa/setup"
RECOVERY_CODES = "/security/2fa/recovery-codes"
# Errors a form shows next to itself; anything else goes to the error handlers.
FORM_ERRORS = (ErrorCategory.VALIDATION, ErrorCategory.AUTHENTICATION, ErrorCategory.CONFLICT)


# 401 would tell the browser its session is gone; a wrong password here is a bad form.
_NOT_A_LOST_SESSION = {ErrorCategory.AUTHENTICATION: 400}


def _reauthenticate(back_to: str) -> Redirect:
    return Redirect("/reauthenticate?" + urlencode({"next": back_to}), status_code=303)


def _scan_page(
    user: User, setup: TwoFactorSetup | None, *, error: str | None = None, status: int = 200
) -> Template:
    """The QR code and the secret (or, without them, a code field and a way to restart)."""
    context: dict[str, Any] = {"user": user, "stage": "scan", "error": error}
    if setup is not None:
        context |= {
            "secret": " ".join(setup.secret[i : i + 4] for i in range(0, len(setup.secret), 4)),
            "qr_src": "data:image/svg+xml;base64,"
            + base64.b64encode(setup.qr_svg.encode()).decode("ascii"),
        }
    return page("accounts/two_factor_setup.html", status, **context)


def _codes_page(user: User, codes: list[str]) -> Template:
    return page(
        "accounts/two_factor_recovery_codes.html",
        user=user,
        codes=codes,
        codes_text="voiceqr recovery codes for "
        + user.email
        + "\nEach code works once.\n\n"
        + "\n".join(codes)
        + "\n",
    )


def _needs_a_fresh_password(
    path: str,
    step: Callable[[Platform], Callable[[User, Session], Awaitable[T]]],
    *,
    moved_on: str,
    show: Callable[[User, T], Template],
) -> HTTPRouteHandler:
    """The POST of a step that needs the password within 5 minutes: through
    /reauthenticate and back when it is older, back to the section when the step's
    error `moved_on` says two-factor changed meanwhile (another tab), else `show`."""

    @post(path, status_code=200)
    async def submit(
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        try:
            done = await step(platform)(user, session)
        except ReauthenticationRequired:
            return _reauthenticate(path)
        except DomainError as exc:
            if exc.code != moved_on:
                raise
            return Redirect(SECTION, status_code=303)
        return show(user, done)

    return submit


@get(SETUP)
async def setup_page(user: NamedDependency[User]) -> Response[Any]:
    """Where the password confirmation comes back to: one click shows the QR code."""
    if user.has_two_factor:
        return Redirect(SECTION)
    return page("accounts/two_factor_setup.html", user=user, stage="start")


setup_submit = _needs_a_fresh_password(
    SETUP,
    lambda platform: platform.accounts.two_factor.begin_setup,
    moved_on="two_factor_on",
    show=_scan_page,
)


@post("/security/2fa/confirm", status_code=200)
async def confirm_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        codes = await platform.accounts.two_factor.confirm_setup(user, data.get("code", ""))
    except DomainError as exc:
        if exc.code in ("two_factor_on", "two_factor_setup_not_started"):
            return Redirect(SECTION, status_code=303)
        status = refusal_status(exc, FORM_ERRORS, instead=_NOT_A_LOST_SESSION)
        try:  # show the QR code again while the password is fresh
            setup = await platform.accounts.two_factor.pending_setup(user, session)
        except ReauthenticationRequired:
            setup = None
        return _scan_page(user, setup, error=exc.message, status=status)
    return _codes_page(user, codes)


@get(RECOVERY_CODES)
async def recovery_codes_page(user: NamedDependency[User]) -> Response[Any]:
    """Asks before making new codes: the old ones stop working."""
    if not user.has_two_factor:
        return Redirect(SECTION)
    return page("accounts/two_factor_recovery_codes.html", user=user, codes=None)


recovery_codes_submit = _needs_a_fresh_password(
    RECOVERY_CODES,
    lambda platform: platform.accounts.two_factor.regenerate_recovery_codes,
    moved_on="two_factor_off",
    show=_codes_page,
)


@get("/security/2fa/disable")
async def disable_page(user: NamedDependency[User]) -> Template:
    return page("accounts/two_factor_disable.html", user=user)


@post("/security/2fa/disable", status_code=303)
async def disable_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        await platform.accounts.two_factor.disable(user, session, data.get("password", ""))
    except DomainError as exc:
        return refused(
            "accounts/two_factor_disable.html",
            exc,
            FORM_ERRORS,
            instead=_NOT_A_LOST_SESSION,
            user=user,
        )
    return Redirect(SECTION, status_code=303)
