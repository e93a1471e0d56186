"""The security page: the sessions signed in to the account (end one, or every other),
the sign-in activity, the two-factor and API key sections, and the changes made by
support (what and why, signed "voiceqr support": never a staff member's address)."""

from __future__ import annotations

import contextlib
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import NotFound
from voiceqr.entrypoints.http.accounts.api_key_pages import api_keys_section
from voiceqr.entrypoints.http.kit.auth import SESSION_COOKIE, cleared_session_cookie
from voiceqr.entrypoints.http.kit.forms import page

METHODS = {
    "password": "Password",
    "totp": "Password and authenticator code",
    "recovery_code": "Password and recovery code",
    "google": "Google",
    "microsoft": "Microsoft",
    "email_link": "The link that confirmed the email",
}


FAILURE_REASONS = {
    "bad_credentials": "wrong email or password",
    "bad_second_factor": "wrong code",
    "locked": "account locked",
    "disabled": "account disabled",
}


def _session_view(s: Session, current: Session) -> dict[str, Any]:
    return {
        "id": str(s.id),
        "current": s.token_hash == current.token_hash,
        "device": (s.device or "unknown device").capitalize(),
        "browser": s.browser or "unknown browser",
        "country": s.country,
        "ip": s.ip or "unknown address",
        "last_seen": s.last_seen_at,
        "last_seen_iso": s.last_seen_at.isoformat(),
        "started": s.created_at,
        "remember_me": s.remember_me,
        "method": METHODS.get(s.method, s.method),
    }


def _event_view(e: LoginEvent) -> dict[str, Any]:
    return {
        "when": e.occurred_at,
        "when_iso": e.occurred_at.isoformat(),
        "success": e.success,
        "reason": FAILURE_REASONS.get(e.reason, e.reason.replace("_", " ")),
        "method": METHODS.get(e.method, e.method),
        "ip": e.ip or "unknown address",
        "device": (e.device or "unknown device").capitalize(),
        "country": e.country,
    }


@get("/security")
async def security_page(
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
    done: FromQuery[str | None] = None,
    count: FromQuery[int] = 0,
) -> Template:
    sessions = [
        _session_view(s, session)
        for s in await platform.accounts.accounts.list_sessions(user)
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
    return page(
        "accounts/security.html",
        two_factor=await platform.accounts.two_factor.status(user),
        **await api_keys_section(platform, user),
        user=user,
        session=session,
        sessions=current + others,
        others=len(others),
        events=[
            _event_view(e) for e in await platform.accounts.accounts.login_activity(user, limit=50)
        ],
        support_changes=[
            {"when": c.occurred_at, "when_iso": c.occurred_at.isoformat(), "change": c}
            for c in await platform.accounts.staff.changes_for_owner(user)
        ],
        notice=notice,
    )


@post("/security/sessions/{session_id:uuid}/end", status_code=303)
async def end_session_submit(
    session_id: FromPath[UUID],
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Redirect:
    with contextlib.suppress(NotFound):  # already over: the list shows what is left
        await platform.accounts.accounts.end_session(user, str(session_id))
    if session.id == session_id:
        return Redirect("/signin", status_code=303, cookies=[cleared_session_cookie(platform)])
    return Redirect("/security?done=ended", status_code=303)


@get("/security/sessions/end-others")
async def end_others_page(
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Template:
    others = [
        s
        for s in await platform.accounts.accounts.list_sessions(user)
        if s.token_hash != session.token_hash
    ]
    return page("accounts/end_sessions.html", user=user, others=len(others))


@post("/security/sessions/end-others", status_code=303)
async def end_others_submit(
    request: Request[Any, Any, Any],
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Redirect:
    ended = await platform.accounts.accounts.end_other_sessions(
        user, request.cookies[SESSION_COOKIE]
    )
    return Redirect(f"/security?done=others_ended&count={ended}", status_code=303)
