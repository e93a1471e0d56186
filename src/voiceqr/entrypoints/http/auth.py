"""Who is asking: the session cookie, resolved to a user."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from voiceqr.bootstrap import Platform
from voiceqr.domain.users import User

SESSION_COOKIE = "voiceqr_session"


async def optional_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await platform.accounts.user_for_session(token)


async def current_user(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User:
    user = await optional_user(request, platform)
    if user is None:
        raise NotAuthorizedException("Sign in first.")
    return user


async def current_admin(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> User:
    user = await current_user(request, platform)
    if not user.is_admin:
        raise PermissionDeniedException("Only administrators can do this.")
    return user


def session_cookie(platform: NamedDependency[Platform], token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        httponly=True,
        samesite="lax",
        secure=platform.settings.env == "production",
        path="/",
        max_age=platform.settings.sessions.absolute_hours * 3600,
    )


def cleared_session_cookie(platform: NamedDependency[Platform]) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        httponly=True,
        samesite="lax",
        secure=platform.settings.env == "production",
        path="/",
        max_age=0,
    )
