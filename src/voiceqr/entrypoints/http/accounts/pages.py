"""Account web pages: sign-in and sign-out, sign-up, email verification, password
recovery, unlock and re-authentication.

Plain server-rendered forms that work without JavaScript, each with a CSRF token. A
link from a mail only shows a confirm button: mail scanners fetch links, so a GET never
spends a token. Errors re-render the form with a 4xx status.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, Parameter
from litestar.response import Redirect, Template

from voiceqr.application.accounts.policy import SecondFactorRequired
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import AuthenticationFailed, DomainError, ErrorCategory
from voiceqr.entrypoints.http.accounts.oidc import CODE_PATH, second_factor_cookie
from voiceqr.entrypoints.http.kit.auth import (
    SESSION_COOKIE,
    after_sign_in,
    cleared_session_cookie,
    client_of,
    session_cookie,
)
from voiceqr.entrypoints.http.kit.forms import (
    Form,
    field_named,
    page,
    refusal_status,
    refused,
    safe_next,
)
from voiceqr.entrypoints.http.kit.headers import NO_STORE
from voiceqr.entrypoints.http.kit.views import PASSWORD_RULES

_LINK_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)
_PASSWORD_REFUSALS = (ErrorCategory.AUTHENTICATION, ErrorCategory.VALIDATION)
# A use case that mails a link to an address (or says nothing, to hide who has an account).
MailLink = Callable[..., Awaitable[None]]

CHECK_EMAIL = {
    "signup": (
        "Check your email",
        "We sent a link to confirm your address. Follow it to start making spoken QR codes. "
        "If nothing arrives in a few minutes, look in your spam folder or ask for a new link.",
    ),
    "verification": (
        "Check your email",
        "If this address has an account that still needs confirming, a new link is on its "
        "way. The older links stop working.",
    ),
    "reset": (
        "Check your email",
        "If this address has an account, a link to choose a new password is on its way. It "
        "works once, for 30 minutes.",
    ),
}


@get("/signin")
async def signin_page(
    viewer: NamedDependency[User | None], next: FromQuery[str | None] = None
) -> Response[Any]:
    if viewer is not None:
        return Redirect(safe_next(next))
    return Template(
        "accounts/signin.html", context={"next": safe_next(next), "error": None, "email": ""}
    )


# A wrong email or password is about both fields (which one is not said); a wrong code
# about the code field.
_SIGN_IN_FIELDS = {"bad_credentials": "credentials", "bad_second_factor": "otp_code"}


@post("/signin", status_code=303)
async def signin_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    email = data.get("email", "")
    remember_me = data.get("remember_me") == "on"
    target = safe_next(data.get("next"))
    context = {"next": target, "email": email, "remember_me": remember_me}
    try:
        signed_in = await platform.accounts.accounts.sign_in(
            email=email,
            password=data.get("password", ""),
            remember_me=remember_me,
            otp_code=data.get("otp_code") or None,
            recovery_code=data.get("recovery_code") or None,
            client=client_of(request, platform),
        )
    except SecondFactorRequired as exc:
        if exc.user is None:
            raise
        # The password is proved: it is held, sealed, and the next page asks for the code
        # alone (the password is never typed twice, and this step is not an error).
        held = platform.accounts.held_sign_ins.hold_for_second_factor(
            exc.user, method=SignInMethod.PASSWORD, remember_me=remember_me, next=target
        )
        return Redirect(
            CODE_PATH,
            status_code=303,
            headers=NO_STORE,
            cookies=[second_factor_cookie(platform, held)],
        )
    except AuthenticationFailed as exc:
        return Template(
            "accounts/signin.html",
            context={
                **context,
                "error": exc.message,
                "error_field": field_named(exc, _SIGN_IN_FIELDS),
                "needs_code": exc.code == "bad_second_factor",
            },
            status_code=401,
        )
    return Redirect(
        await after_sign_in(platform, signed_in.user, target),
        status_code=303,
        cookies=[session_cookie(platform, signed_in.token, remember_me=remember_me)],
    )


@post("/signout", status_code=303)
async def signout(request: Request[Any, Any, Any], platform: NamedDependency[Platform]) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await platform.accounts.accounts.sign_out(token)
    return Redirect("/signin", status_code=303, cookies=[cleared_session_cookie(platform)])


def _signin(
    *, notice: str, email: str = "", viewer: User | None = None, sign_out: Platform | None = None
) -> Template:
    """The sign-in form with a success message (after a reset, an unlock, a verification);
    `sign_out` clears this browser's session cookie too."""
    return Template(
        "accounts/signin.html",
        context={
            "next": "/generations/new",
            "email": email,
            "error": None,
            "notice": notice,
            "user": viewer,
        },
        headers=NO_STORE,
        cookies=[cleared_session_cookie(sign_out)] if sign_out else None,
    )


# --- sign-up and email verification --------------------------------------------


@get("/signup")
async def signup_page(
    viewer: NamedDependency[User | None], platform: NamedDependency[Platform]
) -> Response[Any]:
    if viewer is not None:
        return Redirect("/generations/new")
    return page("accounts/signup.html", rules=PASSWORD_RULES, form={})


@post("/signup", status_code=303)
async def signup_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    form = {"name": data.get("name", ""), "email": data.get("email", "")}
    terms = data.get("terms") == "on"
    client = client_of(request, platform)
    try:
        user = await platform.accounts.accounts.register(
            name=form["name"],
            email=form["email"],
            password=data.get("password", ""),
            terms_accepted=terms,
            client=client,
        )
    except DomainError as exc:
        return refused(
            "accounts/signup.html",
            exc,
            rules=PASSWORD_RULES,
            form={**form, "terms": terms},
            error_code=exc.code,
            fields=("name", "email", "password", "terms"),
        )
    if user is None:  # the address has an account: its owner was mailed, nobody signs in
        return Redirect("/check-email?for=signup", status_code=303)
    # Signed in at once: a new account may look around; making codes waits for the link.
    signed_in = await platform.accounts.accounts.start_session(
        user, client=client, remember_me=False, method=SignInMethod.PASSWORD
    )
    return Redirect(
        "/check-email?for=signup",
        status_code=303,
        cookies=[session_cookie(platform, signed_in.token, remember_me=False)],
    )


@get("/check-email")
async def check_email_page(
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
    kind: Annotated[str, Parameter(query="for")] = "signup",
) -> Template:
    title, text = CHECK_EMAIL.get(kind, CHECK_EMAIL["signup"])
    return page(
        "accounts/check_email.html",
        user=viewer,
        title=title,
        text=text,
        # A new account that is signed in is told where its link went.
        address=viewer.email if viewer and kind == "signup" and not viewer.is_verified else "",
        mailbox=platform.mail.dev_mailbox_enabled,
    )


@get("/verify-email")
async def verify_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    """Only a confirm button: the token is spent by the POST, never by opening the link."""
    return page("accounts/verify_email.html", 200 if token else 400, user=viewer, token=token)


@post("/verify-email", status_code=200)
async def verify_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    token = data.get("token", "")
    client = client_of(request, platform)
    try:
        confirmed = await platform.accounts.accounts.confirm_email(token, client=client)
    except DomainError as exc:
        return refused("accounts/verify_email.html", exc, _LINK_REFUSALS, user=viewer, token="")
    user = confirmed.user
    if viewer is not None and viewer.id == user.id:
        return page("accounts/verify_email.html", user=user, verified=True, email=user.email)
    if viewer is None and confirmed.new_account and not user.has_two_factor:
        # A new account's link proved the mailbox, once: the person is signed in, in one
        # step. An email change's link signs nobody in (the account exists and has its
        # own way in), nor does an account with 2FA; a browser signed in as someone else
        # stays so.
        signed_in = await platform.accounts.accounts.start_session(
            user, client=client, remember_me=False, method=SignInMethod.EMAIL_LINK
        )
        shown = page("accounts/verify_email.html", user=user, verified=True, email=user.email)
        shown.set_cookie(session_cookie(platform, signed_in.token, remember_me=False))
        return shown
    return _signin(
        notice=f"Your email {user.email} is confirmed. Sign in to start.",
        email=user.email,
        viewer=viewer,
    )


def _mails_a_link(
    path: str, *, form: str, check: str, mail: Callable[[Platform], MailLink]
) -> HTTPRouteHandler:
    """The POST of a page that asks for an email and mails a link to it, then asks to
    check the mailbox (`check` says what for); a refused address shows `form` again."""

    @post(path, status_code=303)
    async def submit(
        data: Form,
        request: Request[Any, Any, Any],
        viewer: NamedDependency[User | None],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        email = data.get("email", "")
        try:
            await mail(platform)(email=email, client=client_of(request, platform))
        except DomainError as exc:
            return refused(form, exc, user=viewer, email=email, fields=("email",))
        return Redirect(f"/check-email?for={check}", status_code=303)

    return submit


@get("/resend-verification")
async def resend_page(viewer: NamedDependency[User | None]) -> Template:
    return page(
        "accounts/resend_verification.html", user=viewer, email=viewer.email if viewer else ""
    )


resend_submit = _mails_a_link(
    "/resend-verification",
    form="accounts/resend_verification.html",
    check="verification",
    mail=lambda platform: platform.accounts.accounts.resend_verification,
)


# --- password recovery and unlock ------------------------------------------------


@get("/forgot-password")
async def forgot_page(viewer: NamedDependency[User | None]) -> Template:
    return page("accounts/forgot_password.html", user=viewer, email="")


forgot_submit = _mails_a_link(
    "/forgot-password",
    form="accounts/forgot_password.html",
    check="reset",
    mail=lambda platform: platform.accounts.accounts.forgot_password,
)


@get("/reset-password")
async def reset_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    return page(
        "accounts/reset_password.html",
        200 if token else 400,
        user=viewer,
        token=token,
        rules=PASSWORD_RULES,
    )


@post("/reset-password", status_code=200)
async def reset_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    token = data.get("token", "")
    try:
        user = await platform.accounts.accounts.reset_password(
            token=token, password=data.get("password", ""), client=client_of(request, platform)
        )
    except DomainError as exc:
        status = refusal_status(exc)
        link_dead = exc.code == "link_invalid"
        return page(
            "accounts/reset_password.html",
            400 if link_dead else status,
            user=viewer,
            token="" if link_dead else token,
            rules=PASSWORD_RULES,
            error=exc.message,
            error_field=field_named(exc, ("password",)),
        )
    # Every session of the account ended, this browser's included.
    return _signin(
        notice="Your password is changed and every session is signed out. Sign in with the "
        "new password.",
        email=user.email,
        sign_out=platform,
    )


@get("/unlock")
async def unlock_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    return page("accounts/unlock.html", 200 if token else 400, user=viewer, token=token)


@post("/unlock", status_code=200)
async def unlock_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    try:
        user = await platform.accounts.accounts.unlock(
            data.get("token", ""), client=client_of(request, platform)
        )
    except DomainError as exc:
        return refused("accounts/unlock.html", exc, user=viewer, token="")
    return _signin(notice="Your account is unlocked. You can sign in again.", email=user.email)


# --- re-authentication and profile -------------------------------------------


def _back_to(target: str | None, default: str) -> str:
    return safe_next(target) if target else default


@get("/reauthenticate")
async def reauthenticate_page(
    user: NamedDependency[User], next: FromQuery[str | None] = None
) -> Template:
    return page("accounts/reauthenticate.html", user=user, next=_back_to(next, "/profile"))


@post("/reauthenticate", status_code=303)
async def reauthenticate_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    target = _back_to(data.get("next"), "/profile")
    try:
        await platform.accounts.accounts.reauthenticate(user, session, data.get("password", ""))
    except DomainError as exc:
        return refused(
            "accounts/reauthenticate.html", exc, _PASSWORD_REFUSALS, user=user, next=target
        )
    return Redirect(target, status_code=303)
