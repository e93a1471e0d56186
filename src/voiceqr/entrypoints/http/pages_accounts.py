"""Account web pages: sign-up, verification, recovery, unlock, profile, security and the
development mailbox (A1-A4, A7-A9, P1, P5).

Plain server-rendered forms that work without JavaScript, each with a CSRF token. A
link from a mail only shows a confirm button: mail scanners fetch links, so a GET never
spends a token. Errors re-render the form with a 4xx status.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import MIN_PASSWORD_LENGTH, User
from voiceqr.domain.shared.errors import DomainError, NotFound, ValidationError
from voiceqr.entrypoints.http.auth import (
    SESSION_COOKIE,
    cleared_session_cookie,
    client_address,
    client_of,
    current_session,
    current_user,
    optional_user,
)
from voiceqr.entrypoints.http.pages import NO_STORE, Form, _safe_next
from voiceqr.entrypoints.http.problems import STATUS_BY_CATEGORY

SIGNED_IN = {"user": Provide(current_user), "session": Provide(current_session)}
VIEWER = {"viewer": Provide(optional_user)}

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
PROFILE_NOTICES = {
    "name": "Your name is saved.",
    "email": "Check the new address for a confirmation link. Your email changes once you "
    "follow it; until then the current one stays in use.",
    "password": "Your password is changed. Every other session is signed out.",
    "reauthenticated": "Password confirmed. You can make the change for the next 5 minutes.",
    "preferences": "Your preferences are saved.",
    "notifications": "Your notification settings are saved.",
}
METHODS = {
    "password": "Password",
    "totp": "Password and authenticator code",
    "recovery_code": "Password and recovery code",
    "google": "Google",
    "microsoft": "Microsoft",
}
FAILURE_REASONS = {
    "bad_credentials": "wrong email or password",
    "bad_second_factor": "wrong code",
    "locked": "account locked",
    "disabled": "account disabled",
}
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters. Spaces and any characters are welcome; "
    "a few words make a strong password. Very common passwords are refused."
)
_URL = re.compile(r"https?://[^\s<>\"']+")

SecurityContext = Callable[[Platform, User, Session], Awaitable[dict[str, Any]]]
SECURITY_CONTEXT: list[SecurityContext] = []
"""Extra context for the security page's sections (2FA, API keys): other modules append an
async function returning a dict that is merged into the template context."""


def _status(exc: DomainError) -> int:
    return 429 if exc.code == "rate_limited" else STATUS_BY_CATEGORY.get(exc.category, 400)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def _page(template: str, status: int = 200, **context: Any) -> Template:
    return Template(template, context=context, status_code=status, headers=NO_STORE)


def _signin(
    *, notice: str, email: str = "", viewer: User | None = None, sign_out: Platform | None = None
) -> Template:
    """The sign-in form with a success message (after a reset, an unlock, a verification);
    `sign_out` clears this browser's session cookie too."""
    return Template(
        "signin.html",
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


# --- sign-up and email verification (A1, A3) --------------------------------------------


@get("/signup", include_in_schema=False, dependencies=VIEWER)
async def signup_page(
    viewer: NamedDependency[User | None], platform: NamedDependency[Platform]
) -> Response[Any]:
    if viewer is not None:
        return Redirect("/generations/new")
    return _page("signup.html", rules=PASSWORD_RULES, form={})


@post("/signup", include_in_schema=False, status_code=303)
async def signup_submit(
    data: Form, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    form = {"name": data.get("name", ""), "email": data.get("email", "")}
    terms = data.get("terms") == "on"
    try:
        await platform.accounts.register(
            name=form["name"],
            email=form["email"],
            password=data.get("password", ""),
            terms_accepted=terms,
            client=client_of(request, platform),
        )
    except DomainError as exc:
        if exc.category.value != "validation":
            raise
        return _page(
            "signup.html",
            _status(exc),
            rules=PASSWORD_RULES,
            form={**form, "terms": terms},
            error=exc.message,
            error_code=exc.code,
        )
    return Redirect("/check-email?for=signup", status_code=303)


@get("/check-email", include_in_schema=False, dependencies=VIEWER)
async def check_email_page(
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
    kind: Annotated[str, Parameter(query="for")] = "signup",
) -> Template:
    title, text = CHECK_EMAIL.get(kind, CHECK_EMAIL["signup"])
    return _page(
        "check_email.html",
        user=viewer,
        title=title,
        text=text,
        mailbox=platform.dev_mailbox_enabled,
    )


@get("/verify-email", include_in_schema=False, dependencies=VIEWER)
async def verify_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    """Only a confirm button: the token is spent by the POST, never by opening the link."""
    return _page("verify_email.html", 200 if token else 400, user=viewer, token=token)


@post("/verify-email", include_in_schema=False, status_code=200, dependencies=VIEWER)
async def verify_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    token = data.get("token", "")
    try:
        user = await platform.accounts.verify_email(token, client=client_of(request, platform))
    except DomainError as exc:
        if exc.category.value not in ("validation", "conflict"):
            raise
        return _page("verify_email.html", _status(exc), user=viewer, token="", error=exc.message)
    if viewer is not None and viewer.id == user.id:
        return _page("verify_email.html", user=user, verified=True, email=user.email)
    return _signin(
        notice=f"Your email {user.email} is confirmed. Sign in to start.",
        email=user.email,
        viewer=viewer,
    )


@get("/resend-verification", include_in_schema=False, dependencies=VIEWER)
async def resend_page(viewer: NamedDependency[User | None]) -> Template:
    return _page("resend_verification.html", user=viewer, email=viewer.email if viewer else "")


@post("/resend-verification", include_in_schema=False, status_code=303, dependencies=VIEWER)
async def resend_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    email = data.get("email", "")
    try:
        await platform.accounts.resend_verification(
            email=email, client=client_of(request, platform)
        )
    except DomainError as exc:
        if exc.category.value != "validation":
            raise
        return _page(
            "resend_verification.html", _status(exc), user=viewer, email=email, error=exc.message
        )
    return Redirect("/check-email?for=verification", status_code=303)


# --- password recovery and unlock (A2, A4) ------------------------------------------------


@get("/forgot-password", include_in_schema=False, dependencies=VIEWER)
async def forgot_page(viewer: NamedDependency[User | None]) -> Template:
    return _page("forgot_password.html", user=viewer, email="")


@post("/forgot-password", include_in_schema=False, status_code=303, dependencies=VIEWER)
async def forgot_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    email = data.get("email", "")
    try:
        await platform.accounts.forgot_password(email=email, client=client_of(request, platform))
    except DomainError as exc:
        if exc.category.value != "validation":
            raise
        return _page(
            "forgot_password.html", _status(exc), user=viewer, email=email, error=exc.message
        )
    return Redirect("/check-email?for=reset", status_code=303)


@get("/reset-password", include_in_schema=False, dependencies=VIEWER)
async def reset_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    return _page(
        "reset_password.html", 200 if token else 400, user=viewer, token=token, rules=PASSWORD_RULES
    )


@post("/reset-password", include_in_schema=False, status_code=200, dependencies=VIEWER)
async def reset_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    token = data.get("token", "")
    try:
        user = await platform.accounts.reset_password(
            token=token, password=data.get("password", ""), client=client_of(request, platform)
        )
    except DomainError as exc:
        if exc.category.value != "validation":
            raise
        link_dead = exc.code == "link_invalid"
        return _page(
            "reset_password.html",
            400 if link_dead else _status(exc),
            user=viewer,
            token="" if link_dead else token,
            rules=PASSWORD_RULES,
            error=exc.message,
        )
    # Every session of the account ended, this browser's included.
    return _signin(
        notice="Your password is changed and every session is signed out. Sign in with the "
        "new password.",
        email=user.email,
        sign_out=platform,
    )


@get("/unlock", include_in_schema=False, dependencies=VIEWER)
async def unlock_page(viewer: NamedDependency[User | None], token: FromQuery[str] = "") -> Template:
    return _page("unlock.html", 200 if token else 400, user=viewer, token=token)


@post("/unlock", include_in_schema=False, status_code=200, dependencies=VIEWER)
async def unlock_submit(
    data: Form,
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    try:
        user = await platform.accounts.unlock(
            data.get("token", ""), client=client_of(request, platform)
        )
    except DomainError as exc:
        if exc.category.value != "validation":
            raise
        return _page("unlock.html", _status(exc), user=viewer, token="", error=exc.message)
    return _signin(notice="Your account is unlocked. You can sign in again.", email=user.email)


# --- re-authentication and profile (P1, A3, A6) -------------------------------------------


def _back_to(target: str | None, default: str) -> str:
    return _safe_next(target) if target else default


@get("/reauthenticate", include_in_schema=False, dependencies=SIGNED_IN)
async def reauthenticate_page(
    user: NamedDependency[User], next: FromQuery[str | None] = None
) -> Template:
    return _page("reauthenticate.html", user=user, next=_back_to(next, "/profile"))


@post("/reauthenticate", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def reauthenticate_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    target = _back_to(data.get("next"), "/profile")
    try:
        await platform.accounts.reauthenticate(user, session, data.get("password", ""))
    except DomainError as exc:
        if exc.category.value not in ("authentication", "validation"):
            raise
        return _page("reauthenticate.html", _status(exc), user=user, next=target, error=exc.message)
    return Redirect(target, status_code=303)


def _recent(platform: Platform, session: Session) -> bool:
    try:
        platform.accounts.require_recent_authentication(session)
    except ReauthenticationRequired:
        return False
    return True


async def _profile(
    platform: Platform,
    user: User,
    session: Session,
    *,
    status: int = 200,
    notice: str | None = None,
    new_email: str = "",
    errors: dict[str, str] | None = None,
    name: str | None = None,
) -> Template:
    return _page(
        "profile.html",
        status,
        user=user,
        name=user.name if name is None else name,
        new_email=new_email,
        recent=_recent(platform, session),
        has_password=user.password_hash is not None,
        notice=notice,
        errors=errors or {},
        rules=PASSWORD_RULES,
        # The generation preferences form (P7, P8); it posts to pages_preferences.
        preferences=await platform.preferences.get(user),
        voices=await platform.voices.list_for(user),
    )


@get("/profile", include_in_schema=False, dependencies=SIGNED_IN)
async def profile_page(
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
    done: FromQuery[str | None] = None,
    email: FromQuery[str] = "",
) -> Template:
    return await _profile(
        platform, user, session, notice=PROFILE_NOTICES.get(done or ""), new_email=email[:254]
    )


@post("/profile/name", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def profile_name_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    name = data.get("name", "")
    try:
        await platform.accounts.update_name(user, name)
    except ValidationError as exc:
        return await _profile(
            platform, user, session, status=422, errors={"name": exc.message}, name=name
        )
    return Redirect("/profile?done=name", status_code=303)


@post("/profile/email", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def profile_email_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    new_email = data.get("email", "").strip()
    try:
        await platform.accounts.change_email(user, session, new_email=new_email)
    except ReauthenticationRequired:
        back = "/profile?" + urlencode({"done": "reauthenticated", "email": new_email})
        return Redirect("/reauthenticate?" + urlencode({"next": back}), status_code=303)
    except DomainError as exc:
        if exc.category.value not in ("validation", "conflict"):
            raise
        return await _profile(
            platform,
            user,
            session,
            status=_status(exc),
            errors={"email": exc.message},
            new_email=new_email,
        )
    return Redirect("/profile?done=email", status_code=303)


@post("/profile/password", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def profile_password_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        await platform.accounts.change_password(
            user,
            session,
            current_password=data.get("current_password", ""),
            new_password=data.get("new_password", ""),
        )
    except DomainError as exc:
        if exc.category.value not in ("validation", "authentication"):
            raise
        status = 400 if exc.category.value == "authentication" else _status(exc)
        return await _profile(
            platform, user, session, status=status, errors={"password": exc.message}
        )
    return Redirect("/profile?done=password", status_code=303)


# --- security: sessions and login activity (A7, A8, P5) -----------------------------------


def _session_view(s: Session, current: Session) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "current": s.token_hash == current.token_hash,
        "device": (s.device or "unknown device").capitalize(),
        "browser": s.browser or "unknown browser",
        "country": s.country,
        "ip": s.ip or "unknown address",
        "last_seen": _when(s.last_seen_at),
        "last_seen_iso": s.last_seen_at.isoformat(),
        "started": _when(s.created_at),
        "remember_me": s.remember_me,
        "method": METHODS.get(s.method, s.method),
    }


def _event_view(e: LoginEvent) -> dict[str, Any]:
    return {
        "when": _when(e.occurred_at),
        "when_iso": e.occurred_at.isoformat(),
        "success": e.success,
        "reason": FAILURE_REASONS.get(e.reason, e.reason.replace("_", " ")),
        "method": METHODS.get(e.method, e.method),
        "ip": e.ip or "unknown address",
        "device": (e.device or "unknown device").capitalize(),
        "country": e.country,
    }


@get("/security", include_in_schema=False, dependencies=SIGNED_IN)
async def security_page(
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
    done: FromQuery[str | None] = None,
    count: FromQuery[int] = 0,
) -> Template:
    sessions = [
        _session_view(s, session)
        for s in await platform.accounts.list_sessions(user)
        if s.id is not None
    ]
    current = [s for s in sessions if s["current"]]
    others = sorted(
        (s for s in sessions if not s["current"]), key=lambda s: s["last_seen_iso"], reverse=True
    )
    notice = {
        "ended": "That session is signed out.",
        "others_ended": f"Signed out {count} other session{'' if count == 1 else 's'}.",
    }.get(done or "")
    extra: dict[str, Any] = {}
    for provide in SECURITY_CONTEXT:
        extra.update(await provide(platform, user, session))
    return _page(
        "security.html",
        **extra,
        user=user,
        session=session,
        sessions=current + others,
        others=len(others),
        events=[_event_view(e) for e in await platform.accounts.login_activity(user, limit=50)],
        notice=notice,
    )


@post(
    "/security/sessions/{session_id:uuid}/end",
    include_in_schema=False,
    status_code=303,
    dependencies=SIGNED_IN,
)
async def end_session_submit(
    session_id: FromPath[UUID],
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Redirect:
    with contextlib.suppress(NotFound):  # already over: the list shows what is left
        await platform.accounts.end_session(user, str(session_id))
    if session.id == session_id:
        return Redirect("/signin", status_code=303, cookies=[cleared_session_cookie(platform)])
    return Redirect("/security?done=ended", status_code=303)


@get("/security/sessions/end-others", include_in_schema=False, dependencies=SIGNED_IN)
async def end_others_page(
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Template:
    others = [
        s for s in await platform.accounts.list_sessions(user) if s.token_hash != session.token_hash
    ]
    return _page("end_sessions.html", user=user, others=len(others))


@post(
    "/security/sessions/end-others",
    include_in_schema=False,
    status_code=303,
    dependencies=SIGNED_IN,
)
async def end_others_submit(
    request: Request[Any, Any, Any],
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Redirect:
    ended = await platform.accounts.end_other_sessions(user, request.cookies[SESSION_COOKIE])
    return Redirect(f"/security?done=others_ended&count={ended}", status_code=303)


# --- development mailbox ------------------------------------------------------------------


def _linkified(text: str) -> list[tuple[str, str | None]]:
    """The text in pieces, each with its URL when it is one (rendered as a link)."""
    pieces: list[tuple[str, str | None]] = []
    at = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        if match.start() > at:
            pieces.append((text[at : match.start()], None))
        pieces.append((url, url))
        at = match.start() + len(url)
    pieces.append((text[at:], None))
    return pieces


def _only_local(request: Request[Any, Any, Any], platform: Platform) -> None:
    """The mailbox holds every reset link: only a browser on this machine may read it."""
    try:
        local = ipaddress.ip_address(client_address(request, platform)).is_loopback
    except ValueError:
        local = False
    if not local:
        raise NotFoundException("Not found.")


@get("/dev/mailbox", include_in_schema=False, dependencies=VIEWER)
async def mailbox_page(
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    """Development only, and only to this machine: every mail sent, newest first."""
    _only_local(request, platform)
    entries = await platform.dev_mailbox()
    if entries is None:
        raise NotFoundException("Not found.")
    return _page(
        "mailbox.html",
        user=viewer,
        entries=[
            {"filename": e.filename, "to": e.to, "subject": e.subject, "date": _when(e.date)}
            for e in entries
        ],
    )


@get("/dev/mailbox/{filename:str}", include_in_schema=False, dependencies=VIEWER)
async def mailbox_message_page(
    filename: FromPath[str],
    request: Request[Any, Any, Any],
    viewer: NamedDependency[User | None],
    platform: NamedDependency[Platform],
) -> Template:
    _only_local(request, platform)
    try:
        entry = await platform.dev_mailbox_message(filename)
    except (NotFound, ValidationError) as exc:
        raise NotFoundException("This message does not exist.") from exc
    if entry is None:
        raise NotFoundException("Not found.")
    return _page(
        "mailbox_message.html",
        user=viewer,
        to=entry.to,
        subject=entry.subject,
        date=_when(entry.date),
        pieces=_linkified(entry.text),
        html=entry.html,
    )


ACCOUNT_PAGES = [
    signup_page,
    signup_submit,
    check_email_page,
    verify_page,
    verify_submit,
    resend_page,
    resend_submit,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    unlock_page,
    unlock_submit,
    reauthenticate_page,
    reauthenticate_submit,
    profile_page,
    profile_name_submit,
    profile_email_submit,
    profile_password_submit,
    security_page,
    end_session_submit,
    end_others_page,
    end_others_submit,
    mailbox_page,
    mailbox_message_page,
]
