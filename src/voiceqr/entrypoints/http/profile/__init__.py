"""Profile: the signed-in user's name, email, password, generation preferences, draft,
notification settings and time zone; the archive of their data and deleting the account."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.kit.auth import current_session, current_user
from voiceqr.entrypoints.http.profile import pages
from voiceqr.entrypoints.http.profile.api import PreferencesController
from voiceqr.entrypoints.http.profile.leaving_api import (
    AccountDeletionController,
    AccountExportController,
)
from voiceqr.entrypoints.http.profile.notifications_api import NotificationSettingsController

api_router = Router(
    path="/",
    route_handlers=[
        PreferencesController,
        NotificationSettingsController,
        AccountExportController,
        AccountDeletionController,
    ],
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"user": Provide(current_user), "session": Provide(current_session)},
    route_handlers=[
        pages.profile_page,
        pages.profile_name_submit,
        pages.profile_email_submit,
        pages.profile_password_submit,
        pages.preferences_submit,
        pages.notifications_submit,
        pages.time_zone_submit,
        pages.export_submit,
        pages.export_download,
        pages.delete_account_submit,
        pages.keep_account_submit,
    ],
)

__all__ = ["api_router", "pages_router"]
