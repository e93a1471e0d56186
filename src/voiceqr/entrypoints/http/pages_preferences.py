"""The generation preferences and notification settings forms of the profile page
(P3, P7, P8).

The create page reads the preferences and keeps the draft (P9, P10) itself: see
`pages._create_page` and static/create.js.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.pages import Form
from voiceqr.entrypoints.http.pages_accounts import SIGNED_IN, _profile, _status


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


@post("/profile/preferences", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def preferences_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        await platform.preferences.update(user, _changes(data))
    except ValidationError as exc:
        return await _profile(
            platform, user, session, status=_status(exc), errors={"preferences": exc.message}
        )
    return Redirect("/profile?done=preferences#preferences", status_code=303)


@post("/profile/notifications", include_in_schema=False, status_code=303, dependencies=SIGNED_IN)
async def notifications_submit(
    data: Form,
    user: NamedDependency[User],
    session: NamedDependency[Session],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The mail settings (F4); an unticked checkbox is not sent at all, so absent is off."""
    wanted = data.get("email_generation_failed", "")
    if wanted not in ("", "on"):
        return await _profile(
            platform,
            user,
            session,
            status=400,
            errors={"notifications": "Tick the box or leave it empty."},
        )
    await platform.preferences.update(user, {"email_generation_failed": wanted == "on"})
    return Redirect("/profile?done=notifications#notifications", status_code=303)


PREFERENCE_PAGES = [preferences_submit, notifications_submit]
