"""A user's notification settings in the JSON API: /api/v1/me/notifications.

Reading works with an API key of scope `read`; changing them needs the browser
session, like the other preferences (/api/v1/me/preferences).
"""

from __future__ import annotations

from typing import Literal

import msgspec
from litestar import Controller, get, patch
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from msgspec import UNSET, UnsetType

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.preferences import NotificationSettings
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.schemas import Body

FailureChoice = Literal["each", "digest", "off"]
# A plain `bool` would take 0 and 1 as well: Litestar converts bodies leniently, but
# msgspec keeps a literal strict, so a switch is true or false and nothing else.
Switch = Literal[True, False]


class NotificationSettingsOut(msgspec.Struct):
    account_mail: Literal["always"]  # confirmations, resets, security notices: always sent
    generation_failed_mail: FailureChoice  # each failure, one daily digest, or none
    generation_failed_in_app: bool
    ticket_reply_mail: bool
    ticket_reply_in_app: bool
    product_news_mail: bool
    product_news_in_app: bool
    scans_summary_mail: bool  # the weekly summary of scans and listens
    scans_summary_in_app: bool


class NotificationSettingsPatch(Body):
    generation_failed_mail: FailureChoice | UnsetType = UNSET
    generation_failed_in_app: Switch | UnsetType = UNSET
    ticket_reply_mail: Switch | UnsetType = UNSET
    ticket_reply_in_app: Switch | UnsetType = UNSET
    product_news_mail: Switch | UnsetType = UNSET
    product_news_in_app: Switch | UnsetType = UNSET
    scans_summary_mail: Switch | UnsetType = UNSET
    scans_summary_in_app: Switch | UnsetType = UNSET


def _out(settings: NotificationSettings) -> NotificationSettingsOut:
    return NotificationSettingsOut(
        account_mail="always",
        generation_failed_mail=settings.generation_failed_mail.value,
        generation_failed_in_app=settings.generation_failed_in_app,
        ticket_reply_mail=settings.ticket_reply_mail,
        ticket_reply_in_app=settings.ticket_reply_in_app,
        product_news_mail=settings.product_news_mail,
        product_news_in_app=settings.product_news_in_app,
        scans_summary_mail=settings.scans_summary_mail,
        scans_summary_in_app=settings.scans_summary_in_app,
    )


class NotificationSettingsController(Controller):
    path = "/me/notifications"
    tags = ["me"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    @get("/", cache_control=NO_STORE_REPLY)
    async def get_notification_settings(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> NotificationSettingsOut:
        """Which mail and in-app notices the user gets, per kind."""
        return _out(await platform.mail.preferences.get(user))

    @patch("/")
    async def update_notification_settings(
        self,
        data: JSONBody[NotificationSettingsPatch],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> NotificationSettingsOut:
        """Change some settings; the others stay as they are. Account mail cannot be
        turned off (it is not a field)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not UNSET}
        return _out(await platform.mail.preferences.update(user, changes))
