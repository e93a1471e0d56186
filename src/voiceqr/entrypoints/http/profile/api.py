"""A user's generation preferences and draft in the JSON API: /api/v1/me/...

Reading works with an API key of scope `read`; changing them needs the browser
session (they are settings of the website's create page).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get, patch, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from msgspec import UNSET, Meta, UnsetType

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.preferences import FailureMail, MailKind
from voiceqr.domain.profile.preferences import (
    MAX_DRAFT_LENGTH,
    MAX_QR_SIZE,
    MIN_QR_SIZE,
    UserPreferences,
)
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.schemas import Body, multi_line

QrSize = Annotated[int, Meta(ge=MIN_QR_SIZE, le=MAX_QR_SIZE)]


class PreferencesOut(msgspec.Struct):
    default_voice_id: UUID | None
    qr_size: int
    recent_voice_ids: list[UUID]  # the voices of the latest generations, most recent first
    # Kept for existing clients: whether the failure mail is on (each or digest); the
    # full choice is /api/v1/me/notifications.
    email_generation_failed: bool
    time_zone: str | None  # IANA name analytics are shown in; null: the browser's


class PreferencesPatch(Body):
    default_voice_id: UUID | UnsetType | None = UNSET
    qr_size: QrSize | UnsetType = UNSET
    email_generation_failed: bool | UnsetType = UNSET
    # An IANA name (Europe/Paris); null or "" for the browser's.
    time_zone: Annotated[str, Meta(max_length=64)] | UnsetType | None = UNSET


class DraftBody(Body):
    text: Annotated[str, multi_line(MAX_DRAFT_LENGTH)]
    voice_id: UUID | None = None


class DraftOut(msgspec.Struct):
    text: str
    voice_id: UUID | None
    saved_at: datetime | None


def _draft_out(preferences: UserPreferences) -> DraftOut:
    return DraftOut(
        text=preferences.draft_text,
        voice_id=preferences.draft_voice_id,
        saved_at=preferences.draft_saved_at,
    )


class PreferencesController(Controller):
    path = "/me"
    tags = ["me"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    async def _out(self, platform: Platform, user: User) -> PreferencesOut:
        preferences = await platform.profile.get(user)
        notifications = await platform.mail.preferences.get(user)
        return PreferencesOut(
            default_voice_id=preferences.default_voice_id,
            qr_size=preferences.qr_size,
            recent_voice_ids=await platform.profile.recent_voice_ids(user),
            email_generation_failed=notifications.mails(MailKind.GENERATION_FAILED),
            time_zone=preferences.time_zone or None,
        )

    @get("/preferences", cache_control=NO_STORE_REPLY)
    async def get_preferences(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> PreferencesOut:
        """The default voice (null: none), the preferred QR size and the recent voices."""
        return await self._out(platform, user)

    @patch("/preferences")
    async def update_preferences(
        self,
        data: JSONBody[PreferencesPatch],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> PreferencesOut:
        """Change the default voice (a published one, or null), the QR size (64-4096),
        and/or the time zone analytics are shown in (`time_zone`, an IANA name; null:
        the browser's). An unknown time zone is a 422 `unknown_time_zone`, and nothing
        is changed. `email_generation_failed` is kept for existing clients: true mails
        each failure, false none (see /api/v1/me/notifications for every setting)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
        if "time_zone" in changes:
            changes["time_zone"] = changes["time_zone"] or ""
        failure_mail = changes.pop("email_generation_failed", None)
        await platform.profile.update(user, changes)
        if failure_mail is not None:
            choice = FailureMail.EACH if failure_mail else FailureMail.OFF
            await platform.mail.preferences.update(user, {"generation_failed_mail": choice})
        return await self._out(platform, user)

    @get("/draft", cache_control=NO_STORE_REPLY)
    async def get_draft(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> DraftOut:
        """The text being typed on the create page (empty, with saved_at null, if none)."""
        return _draft_out(await platform.profile.get(user))

    @put("/draft")
    async def save_draft(
        self,
        data: JSONBody[DraftBody],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> DraftOut:
        """Keep the text being typed (at most 5000 characters) and its voice.

        The draft is cleared when a generation is requested.
        """
        return _draft_out(await platform.profile.save_draft(user, data.text, data.voice_id))
