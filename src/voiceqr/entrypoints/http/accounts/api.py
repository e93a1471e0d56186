"""Accounts in the JSON API: sign-up, verification, recovery, sign-in, profile, sessions."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.accounts.schemas import (
    Accepted,
    ChangePasswordBody,
    EmailBody,
    LoginEventOut,
    PasswordBody,
    ProfileOut,
    ProfilePatch,
    RegisterBody,
    ResetPasswordBody,
    SessionOut,
    SignInBody,
    TokenBody,
)
from voiceqr.entrypoints.http.kit.auth import (
    SESSION_COOKIE,
    api_key_scopes,
    cleared_session_cookie,
    client_of,
    current_session,
    current_user,
    session_cookie,
)
from voiceqr.entrypoints.http.kit.openapi import problems

CHECK_YOUR_MAIL = "If the address can receive mail, a message is on its way. Check your inbox."


def profile_out(user: User) -> ProfileOut:
    return ProfileOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=str(user.role),
        email_verified=user.is_verified,
        two_factor_enabled=user.has_two_factor,
        created_at=user.created_at,
    )


def json_bodies_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Refuse a body that is not `application/json` (415).

    Litestar reads any body as JSON, and a cross-site HTML form can post a text/plain
    body that parses as JSON (with a password the attacker chose), which would sign the
    visitor in to someone else's account (login CSRF). A browser sends
    `application/json` to another site only after a CORS preflight, which fails here.
    """
    has_body = (
        connection.headers.get("content-length", "0") != "0"
        or "transfer-encoding" in connection.headers
    )
    media_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if has_body and media_type != "application/json":
        raise HTTPException(status_code=415, detail="Send the body as application/json.")


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]
    guards = [json_bodies_only]

    @post("/register", status_code=HTTP_202_ACCEPTED, responses=problems(429))
    async def register(
        self,
        data: JSONBody[RegisterBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Accepted:
        """Sign up; a verification link is mailed. The reply is the same for a taken email."""
        await platform.accounts.accounts.register(
            name=data.name,
            email=data.email,
            password=data.password,
            terms_accepted=data.terms_accepted,
            client=client_of(request, platform),
        )
        return Accepted(CHECK_YOUR_MAIL)

    @post("/verify-email", status_code=200, responses=problems(429))
    async def verify_email(
        self,
        data: JSONBody[TokenBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> ProfileOut:
        """Confirm an email address with the token from the mailed link."""
        return profile_out(
            await platform.accounts.accounts.verify_email(
                data.token, client=client_of(request, platform)
            )
        )

    @post("/resend-verification", status_code=HTTP_202_ACCEPTED, responses=problems(429))
    async def resend_verification(
        self,
        data: JSONBody[EmailBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Accepted:
        await platform.accounts.accounts.resend_verification(
            email=data.email, client=client_of(request, platform)
        )
        return Accepted(CHECK_YOUR_MAIL)

    @post("/forgot-password", status_code=HTTP_202_ACCEPTED, responses=problems(429))
    async def forgot_password(
        self,
        data: JSONBody[EmailBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Accepted:
        """Mail a single-use reset link (30 minutes); the same reply for any address."""
        await platform.accounts.accounts.forgot_password(
            email=data.email, client=client_of(request, platform)
        )
        return Accepted(CHECK_YOUR_MAIL)

    @post("/reset-password", status_code=200, responses=problems(429))
    async def reset_password(
        self,
        data: JSONBody[ResetPasswordBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Accepted:
        """Set a new password with the mailed token; every session ends."""
        await platform.accounts.accounts.reset_password(
            token=data.token, password=data.password, client=client_of(request, platform)
        )
        return Accepted("Your password is changed. Sign in with the new one.")

    @post("/unlock", status_code=200, responses=problems(429))
    async def unlock(
        self,
        data: JSONBody[TokenBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Accepted:
        """Unlock an account locked after failed sign-ins, with the mailed token."""
        await platform.accounts.accounts.unlock(data.token, client=client_of(request, platform))
        return Accepted("Your account is unlocked. You can sign in again.")

    @post("/login", status_code=200, responses=problems(401, 429))
    async def login(
        self,
        data: JSONBody[SignInBody],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> Response[ProfileOut]:
        """Sign in; sets the session cookie (30 days with remember_me, else browser session)."""
        signed_in = await platform.accounts.accounts.sign_in(
            email=data.email,
            password=data.password,
            remember_me=data.remember_me,
            otp_code=data.otp_code,
            recovery_code=data.recovery_code,
            client=client_of(request, platform),
        )
        return Response(
            profile_out(signed_in.user),
            cookies=[session_cookie(platform, signed_in.token, remember_me=data.remember_me)],
        )

    @post("/logout", status_code=HTTP_204_NO_CONTENT)
    async def logout(
        self, request: Request[Any, Any, Any], platform: NamedDependency[Platform]
    ) -> Response[None]:
        """End the session on the server and clear the cookie."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await platform.accounts.accounts.sign_out(token)
        return Response(None, status_code=204, cookies=[cleared_session_cookie(platform)])


class MeController(Controller):
    path = "/me"
    tags = ["me"]
    dependencies = {"user": Provide(current_user), "session": Provide(current_session)}

    @get("/", opt=api_key_scopes(GET=Scope.READ))
    async def me(self, user: NamedDependency[User]) -> ProfileOut:
        """The signed-in user."""
        return profile_out(user)

    @patch("/", responses=problems(409, 429))
    async def update_me(
        self,
        data: JSONBody[ProfilePatch],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> ProfileOut:
        """Change the name, or ask to change the email (confirmed by a mailed link; needs
        the password within the last 5 minutes, see /me/reauthenticate). After an email
        change, `email` is still the old one and `pending_email` the address the link was
        mailed to; an address another account uses is 409 `email_taken`."""
        pending_email = None
        if isinstance(data.email, str):
            pending_email = await platform.accounts.accounts.change_email(
                user, session, new_email=data.email
            )
        if isinstance(data.name, str):
            user = await platform.accounts.accounts.update_name(user, data.name)
        out = profile_out(user)
        out.pending_email = pending_email
        return out

    @post("/reauthenticate", status_code=HTTP_204_NO_CONTENT, responses=problems(429))
    async def reauthenticate(
        self,
        data: JSONBody[PasswordBody],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> None:
        """Type the password again: opens a 5-minute window for sensitive changes."""
        await platform.accounts.accounts.reauthenticate(user, session, data.password)

    @post("/password", status_code=HTTP_204_NO_CONTENT, responses=problems(429))
    async def change_password(
        self,
        data: JSONBody[ChangePasswordBody],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> None:
        """Change the password; every other session ends and a mail tells the owner."""
        await platform.accounts.accounts.change_password(
            user, session, current_password=data.current_password, new_password=data.new_password
        )

    @get("/sessions")
    async def sessions(
        self,
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> list[SessionOut]:
        """The user's active sessions, most recently seen first."""
        return [
            SessionOut(
                id=s.id,
                current=s.token_hash == session.token_hash,
                device=s.device,
                browser=s.browser,
                country=s.country,
                ip=s.ip,
                method=s.method,
                remember_me=s.remember_me,
                created_at=s.created_at,
                last_seen_at=s.last_seen_at,
                expires_at=s.expires_at,
            )
            for s in await platform.accounts.accounts.list_sessions(user)
            if s.id is not None
        ]

    @delete("/sessions/{session_id:uuid}", status_code=HTTP_204_NO_CONTENT)
    async def end_session(
        self,
        session_id: FromPath[UUID],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> None:
        """Sign out one session (another user's id is not found)."""
        await platform.accounts.accounts.end_session(user, str(session_id))

    @delete("/sessions", status_code=HTTP_204_NO_CONTENT)
    async def end_other_sessions(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> None:
        """Sign out every session but this one."""
        await platform.accounts.accounts.end_other_sessions(user, request.cookies[SESSION_COOKIE])

    @get("/login-activity")
    async def login_activity(
        self,
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[LoginEventOut]:
        """Sign-in successes and failures on this account, newest first."""
        return [
            LoginEventOut(
                occurred_at=e.occurred_at,
                success=e.success,
                method=e.method,
                reason=e.reason,
                ip=e.ip,
                device=e.device,
                country=e.country,
                user_agent=e.user_agent,
            )
            for e in await platform.accounts.accounts.login_activity(user, limit=limit)
        ]
