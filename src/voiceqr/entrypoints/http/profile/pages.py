"""The profile page: name, email and password, the generation preferences (default voice,
QR size) and the notification settings.

The create page reads the preferences and keeps the draft itself (see the generations
pages and static/generations/create.js).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template

from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.preferences import EDITABLE as NOTIFICATION_FIELDS
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, Gone, ValidationError
from voiceqr.domain.shared.time_zones import time_zone_names
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import INPUT, Form, field_named, page, refusal_status
from voiceqr.entrypoints.http.kit.views import PASSWORD_RULES

_EMAIL_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)
_PASSWORD_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.AUTHENTICATION)
PROFILE_NOTICES = {
    "name": "Your name is saved.",
    "email": "Check the new address for a confirmation link. Your email changes once you "
    "follow it; until then the current one stays in use.",
    "password": "Your password is changed. Every other session is signed out.",
    "reauthenticated": "Password confirmed. You can make the change for the next 5 minutes.",
    "preferences": "Your preferences are saved.",
    "notifications": "Your notification settings are saved.",
    "time-zone": "Your time zone is saved.",
    "deletion": "Your account will be deleted at the end of the grace period. Until then "
    "you can keep it from this page.",
    "kept": "Your account is kept: it will not be deleted.",
    "export": "Your archive is being made. We will email you a link to download it.",
}


def _recent(platform: Platform, session: Session) -> bool:
    try:
        platform.accounts.accounts.require_recent_authentication(session)
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
    error_field: str | None = None,
    name: str | None = None,
) -> Template:
    return page(
        "profile/profile.html",
        status,
        user=user,
        name=user.name if name is None else name,
        new_email=new_email,
        recent=_recent(platform, session),
        has_password=user.password_hash is not None,
        notice=notice,
        errors=errors or {},
        error_field=error_field,
        rules=PASSWORD_RULES,
        # The generation preferences form; it posts to /profile/preferences.
        preferences=await platform.profile.get(user),
        notifications=await platform.mail.preferences.get(user),
        voices=await platform.voices.list_for(user),
        usage=await platform.analytics.dashboards.usage(user),
        time_zones=time_zone_names(),
        deletion=await platform.account_deletions.pending(user.id),
        exports=await platform.account_exports.list_for(user),
        now=platform.account_exports.clock(),
    )


# The fields of the profile's forms, by the codes of the refusals about them (kit/forms.py).
_FIELDS: dict[str, dict[str, str]] = {
    "name": {"name": "name"},
    "email": {"email": "email"},
    "password": {"bad_password": "current_password", "password": "new_password"},
}


async def _refused(
    platform: Platform,
    user: User,
    session: Session,
    form: str,
    exc: DomainError,
    explained: Collection[ErrorCategory] = INPUT,
    *,
    instead: Mapping[ErrorCategory, int] | None = None,
    new_email: str = "",
    name: str | None = None,
) -> Template:
    """The profile page again with the reason `exc` refused `form` shown next to it, and
    tied to the field of that form it is about."""
    return await _profile(
        platform,
        user,
        session,
        status=refusal_status(exc, explained, instead=instead),
        errors={form: exc.message},
        error_field=field_named(exc, _FIELDS.get(form, ())),
        new_email=new_email,
        name=name,
    )


def _notice(done: str, section: str = "") -> Redirect:
    """Back to the profile with the notice `done`, scrolled to `section`."""
    return Redirect(f"/profile?done={done}" + (f"#{section}" if section else ""), status_code=303)


@get("/profile")
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


@post("/profile/name", status_code=303)
async def profile_name_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    name = data.get("name", "")
    try:
        await platform.accounts.accounts.update_name(user, name)
    except ValidationError as exc:
        return await _refused(platform, user, session, "name", exc, name=name)
    return _notice("name")


@post("/profile/email", status_code=303)
async def profile_email_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    new_email = data.get("email", "").strip()
    try:
        await platform.accounts.accounts.change_email(user, session, new_email=new_email)
    except ReauthenticationRequired:
        back = "/profile?" + urlencode({"done": "reauthenticated", "email": new_email})
        return Redirect("/reauthenticate?" + urlencode({"next": back}), status_code=303)
    except DomainError as exc:
        return await _refused(
            platform, user, session, "email", exc, _EMAIL_REFUSALS, new_email=new_email
        )
    return _notice("email")


@post("/profile/password", status_code=303)
async def profile_password_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        await platform.accounts.accounts.change_password(
            user,
            session,
            current_password=data.get("current_password", ""),
            new_password=data.get("new_password", ""),
        )
    except DomainError as exc:
        # A wrong current password is a mistake on the form, not a lost session (401).
        return await _refused(
            platform,
            user,
            session,
            "password",
            exc,
            _PASSWORD_REFUSALS,
            instead={ErrorCategory.AUTHENTICATION: 400},
        )
    return _notice("password")


def _changes(data: dict[str, str]) -> dict[str, object]:
    """The form's fields as preference changes; a value the form cannot send is refused."""
    voice, size = data.get("default_voice_id", "").strip(), data.get("qr_size", "").strip()
    try:
        return {
            "default_voice_id": UUID(voice) if voice else None,
            "qr_size": int(size),
        }
    except ValueError as exc:
        raise ValidationError(
            "Pick a voice from the list and a QR size in pixels.", code="invalid_preferences"
        ) from exc


def _setting(
    path: str,
    save: Callable[[Platform, User, dict[str, str]], Awaitable[object]],
    *,
    form: str,
) -> HTTPRouteHandler:
    """A form of the profile that saves a setting with `save(platform, user, data)`: back
    to the profile with its notice, or the profile again with the refusal next to `form`."""

    @post(path, status_code=303)
    async def submit(
        data: Form,
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        try:
            await save(platform, user, data)
        except ValidationError as exc:
            return await _refused(platform, user, session, form, exc)
        return _notice(form, form)

    return submit


# The generation preferences: the default voice and the QR size.
preferences_submit = _setting(
    "/profile/preferences",
    lambda p, user, data: p.profile.update(user, _changes(data)),
    form="preferences",
)
# The notification settings: a radio group per kind and channel (a group left
# unanswered keeps its setting; the CSRF token and any other field are not settings).
notifications_submit = _setting(
    "/profile/notifications",
    lambda p, user, data: p.mail.preferences.update(
        user, {name: data[name] for name in NOTIFICATION_FIELDS if name in data}
    ),
    form="notifications",
)
# The time zone analytics are shown in; empty is the browser's.
time_zone_submit = _setting(
    "/profile/time-zone",
    lambda p, user, data: p.profile.update(user, {"time_zone": data.get("time_zone", "").strip()}),
    form="time-zone",
)


def _button(
    path: str,
    action: Callable[[Platform], Callable[..., Awaitable[object]]],
    *,
    form: str,
    done: str,
) -> HTTPRouteHandler:
    """A button of the profile that runs the use case `action(user, ip=...)`: back to the
    profile with a notice, or the profile again with the refusal next to `form`."""

    @post(path, status_code=303)
    async def press(
        request: Request[Any, Any, Any],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        try:
            await action(platform)(user, ip=client_address(request, platform))
        except DomainError as exc:
            return await _refused(platform, user, session, form, exc)
        return _notice(done, form)

    return press


# "Download my data": a job makes the archive and mails the link.
export_submit = _button(
    "/profile/exports", lambda p: p.account_exports.request, form="my-data", done="export"
)
# "Keep my account": the deletion asked for is cancelled during its grace period.
keep_account_submit = _button(
    "/profile/keep", lambda p: p.account_deletions.keep, form="delete-account", done="kept"
)


@get("/profile/exports/{export_id:uuid}/download")
async def export_download(
    request: Request[Any, Any, Any],
    export_id: FromPath[UUID],
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Stream | Template:
    """The archive, streamed: the signed-in owner's only (404 otherwise), 410 once the
    link has expired."""
    try:
        export, stream = await platform.account_exports.download(
            user, export_id, ip=client_address(request, platform)
        )
    except Gone as gone:
        return page("profile/export_expired.html", 410, user=user, message=gone.message)
    return Stream(
        stream.chunks,
        media_type="application/zip",
        headers={
            "Content-Disposition": (
                f'attachment; filename="voiceqr-data-{export.requested_at:%Y%m%d}.zip"'
            ),
            "Content-Length": str(stream.total),
            "Cache-Control": "private, no-store",
        },
    )


@post("/profile/delete", status_code=303)
async def delete_account_submit(
    request: Request[Any, Any, Any],
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Ask for the account to be deleted after the grace period; the password (or a
    fresh sign-in) is asked for first, as for every sensitive change."""
    if data.get("confirm", "") != "on":
        return await _profile(
            platform,
            user,
            session,
            status=400,
            errors={"delete-account": "Tick the box to confirm you want your account deleted."},
        )
    try:
        await platform.account_deletions.ask(user, session, ip=client_address(request, platform))
    except ReauthenticationRequired:
        back = "/profile?" + urlencode({"done": "reauthenticated"}) + "#delete-account"
        return Redirect("/reauthenticate?" + urlencode({"next": back}), status_code=303)
    except DomainError as exc:
        return await _refused(platform, user, session, "delete-account", exc)
    return _notice("deletion", "delete-account")
