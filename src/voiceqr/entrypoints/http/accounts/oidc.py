"""Sign-in with Google and Microsoft: the round trip to the provider and the link page.

`/api/v1/auth/oidc/{provider}/start` sends the browser to the provider with the sealed
sign-in state in a short-lived cookie; `/callback` signs in (or creates the account)
and sends the browser on. When the provider's verified email already has an account,
`/signin/link` asks for that account's password before the identity is linked.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template

from voiceqr.application.accounts.held_sign_ins import SecondFactorPending, SocialSignedIn
from voiceqr.application.accounts.policy import SecondFactorRequired
from voiceqr.application.accounts.social_sign_in import LinkRequired, SocialSignIn
from voiceqr.bootstrap import Platform
from voiceqr.domain.shared.errors import AuthenticationFailed, DomainError
from voiceqr.entrypoints.http.kit.auth import (
    after_sign_in,
    client_of,
    private_cookie,
    session_cookie,
)
from voiceqr.entrypoints.http.kit.forms import Form, page, safe_next
from voiceqr.entrypoints.http.kit.headers import NO_STORE
from voiceqr.entrypoints.http.kit.problems import status_of

STATE_COOKIE = "voiceqr_oidc"
STATE_COOKIE_PATH = "/api/v1/auth/oidc/"
LINK_COOKIE = "voiceqr_link"
LINK_PATH = "/signin/link"
CODE_COOKIE = "voiceqr_oidc_2fa"
CODE_PATH = "/signin/code"
CALLBACK_PATH = "/api/v1/auth/oidc/{provider}/callback"


def _round_trip(path: str) -> HTTPRouteHandler:
    """A leg of the round trip to the provider: documented with the API but a
    browser's, it answers with redirects and stays outside the JSON API's checks, like
    the pages."""
    return get(path, tags=["auth"], status_code=302, include_in_schema=True)


def _offered(platform: Platform, provider: str) -> SocialSignIn:
    """Social sign-in with `provider`; 404 for a provider not set up here."""
    social = platform.accounts.social_sign_in
    if not social.is_enabled(provider):
        raise NotFoundException(f"Sign-in with '{provider}' is not offered here.")
    return social


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _signin_page(error: str, status: int, cookies: list[Cookie]) -> Template:
    return Template(
        "accounts/signin.html",
        context={"next": "/generations/new", "email": "", "error": error},
        status_code=status,
        headers=NO_STORE,
        cookies=cookies,
    )


@_round_trip("/api/v1/auth/oidc/{provider:str}/start")
async def oidc_start(
    provider: FromPath[str],
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    remember_me: FromQuery[str | None] = None,
    next: FromQuery[str | None] = None,
) -> Response[Any]:
    """Send the browser to Google or Microsoft to sign in (404 for a provider not set up)."""
    social = _offered(platform, provider)
    try:
        started = await social.start(
            provider,
            redirect_uri=platform.settings.public_base_url.rstrip("/")
            + CALLBACK_PATH.format(provider=provider),
            remember_me=(remember_me or "").lower() in ("on", "1", "true", "yes"),
            next=safe_next(next),
        )
    except DomainError as exc:  # the provider cannot be reached
        if not _wants_html(request):
            raise
        return _signin_page(exc.message, status_of(exc), [])
    return Redirect(
        started.url,
        status_code=302,
        headers=NO_STORE,
        cookies=[
            private_cookie(
                platform,
                STATE_COOKIE,
                started.sealed_state,
                path=STATE_COOKIE_PATH,
                max_age=started.max_age_seconds,
            )
        ],
    )


@_round_trip("/api/v1/auth/oidc/{provider:str}/callback")
async def oidc_callback(
    provider: FromPath[str],
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    code: FromQuery[str | None] = None,
    returned_state: Annotated[str | None, QueryParameter(query="state")] = None,  # reserved name
    error: FromQuery[str | None] = None,
    error_description: FromQuery[str | None] = None,
) -> Response[Any]:
    """Where the provider sends the browser back: signs in and redirects to the app, or
    to `/signin/link` when an existing account's password must come first."""
    social = _offered(platform, provider)
    spent = private_cookie(platform, STATE_COOKIE, "", path=STATE_COOKIE_PATH, max_age=0)
    try:
        result = await social.callback(
            provider,
            sealed_state=request.cookies.get(STATE_COOKIE, ""),
            state=returned_state or "",
            code=code or "",
            error=error,
            error_description=error_description,
            client=client_of(request, platform),
        )
    except DomainError as exc:
        if not _wants_html(request):
            raise  # a problem document for API clients
        return _signin_page(exc.message, status_of(exc), [spent])
    if isinstance(result, LinkRequired):
        link = private_cookie(
            platform,
            LINK_COOKIE,
            result.sealed_link,
            path=LINK_PATH,
            max_age=result.max_age_seconds,
        )
        return Redirect(LINK_PATH, status_code=302, headers=NO_STORE, cookies=[spent, link])
    if isinstance(result, SecondFactorPending):
        pending = second_factor_cookie(platform, result)
        return Redirect(CODE_PATH, status_code=302, headers=NO_STORE, cookies=[spent, pending])
    return await _signed_in(platform, result, [spent])


def second_factor_cookie(platform: Platform, held: SecondFactorPending) -> Cookie:
    """The sealed first step of a sign-in (a provider's, or the password form's) that the
    code page finishes."""
    return private_cookie(
        platform, CODE_COOKIE, held.sealed, path=CODE_PATH, max_age=held.max_age_seconds
    )


async def _signed_in(
    platform: Platform,
    result: SocialSignedIn,
    cookies: list[Cookie],
    *,
    status: Literal[302, 303] = 302,
) -> Redirect:
    session = session_cookie(platform, result.sign_in.token, remember_me=result.remember_me)
    target = await after_sign_in(platform, result.sign_in.user, safe_next(result.next))
    return Redirect(target, status_code=status, headers=NO_STORE, cookies=[*cookies, session])


def _link_page(
    platform: Platform,
    sealed: str,
    *,
    error: str | None = None,
    needs_code: bool = False,
    status: int = 200,
) -> Template:
    try:
        pending = platform.accounts.social_sign_in.pending_link(sealed)
    except DomainError as exc:
        return _signin_page(exc.message, status_of(exc), [])
    return page(
        "accounts/signin_link.html",
        status,
        email=pending.email,
        provider=pending.provider_label,
        error=error,
        needs_code=needs_code,
    )


@get(LINK_PATH)
async def link_page(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Template:
    """Ask for the password of the account the provider's verified email belongs to."""
    return _link_page(platform, request.cookies.get(LINK_COOKIE, ""))


@post(LINK_PATH, status_code=303)
async def link_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    """The account's password (and code, with 2FA) proves ownership: link, then sign in."""
    sealed = request.cookies.get(LINK_COOKIE, "")
    try:
        result = await platform.accounts.social_sign_in.confirm_link(
            sealed,
            password=data.get("password", ""),
            otp_code=data.get("otp_code") or None,
            recovery_code=data.get("recovery_code") or None,
            client=client_of(request, platform),
        )
    except SecondFactorRequired as exc:
        return _link_page(platform, sealed, error=exc.message, needs_code=True, status=401)
    except AuthenticationFailed as exc:
        if exc.code == "oidc_link_invalid":
            return _signin_page(exc.message, 401, [])
        return _link_page(
            platform,
            sealed,
            error=exc.message,
            needs_code=exc.code == "bad_second_factor",
            status=401,
        )
    done = private_cookie(platform, LINK_COOKIE, "", path=LINK_PATH, max_age=0)
    return await _signed_in(platform, result, [done], status=303)


def _code_page(error: str | None = None, status: int = 200) -> Template:
    return page("accounts/signin_code.html", status, error=error)


@get(CODE_PATH)
async def code_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """The account's 2FA code, after the password or a social sign-in: a step, not an
    error (the code field has the focus)."""
    if not request.cookies.get(CODE_COOKIE):
        return Redirect("/signin")
    return _code_page()


@post(CODE_PATH, status_code=303)
async def code_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    try:
        result = await platform.accounts.held_sign_ins.complete_second_factor(
            request.cookies.get(CODE_COOKIE, ""),
            otp_code=data.get("otp_code") or None,
            recovery_code=data.get("recovery_code") or None,
            client=client_of(request, platform),
        )
    except AuthenticationFailed as exc:
        if exc.code == "bad_second_factor":
            return _code_page(exc.message, 401)
        return _signin_page(exc.message, 401, [])
    done = private_cookie(platform, CODE_COOKIE, "", path=CODE_PATH, max_age=0)
    return await _signed_in(platform, result, [done], status=303)
