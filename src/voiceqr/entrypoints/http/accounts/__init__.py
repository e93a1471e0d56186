"""Accounts: sign-up, sign-in (password, two-factor, Google and Microsoft), recovery,
sessions and API keys."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.accounts import (
    api,
    api_key_pages,
    api_keys_api,
    oidc,
    pages,
    security_pages,
    two_factor_api,
    two_factor_pages,
    view_as_pages,
)
from voiceqr.entrypoints.http.kit.auth import current_session, current_user, optional_user

api_router = Router(
    path="/",
    route_handlers=[
        api.AuthController,
        api.MeController,
        two_factor_api.TwoFactorController,
        api_keys_api.ApiKeyController,
    ],
)
# The visitor, the signed-in user and their session, for the pages that ask for them.
_pages = Router(
    path="/",
    dependencies={
        "viewer": Provide(optional_user),
        "user": Provide(current_user),
        "session": Provide(current_session),
    },
    route_handlers=[
        pages.signin_page,
        pages.signin_submit,
        pages.signout,
        view_as_pages.stop_viewing,
        pages.signup_page,
        pages.signup_submit,
        pages.check_email_page,
        pages.verify_page,
        pages.verify_submit,
        pages.resend_page,
        pages.resend_submit,
        pages.forgot_page,
        pages.forgot_submit,
        pages.reset_page,
        pages.reset_submit,
        pages.unlock_page,
        pages.unlock_submit,
        pages.reauthenticate_page,
        pages.reauthenticate_submit,
        oidc.link_page,
        oidc.link_submit,
        oidc.code_page,
        oidc.code_submit,
        security_pages.security_page,
        security_pages.end_session_submit,
        security_pages.end_others_page,
        security_pages.end_others_submit,
        two_factor_pages.setup_page,
        two_factor_pages.setup_submit,
        two_factor_pages.confirm_submit,
        two_factor_pages.recovery_codes_page,
        two_factor_pages.recovery_codes_submit,
        two_factor_pages.disable_page,
        two_factor_pages.disable_submit,
        api_key_pages.api_keys_page,
        api_key_pages.api_key_create_submit,
        api_key_pages.api_key_rotate_submit,
        api_key_pages.api_key_revoke_submit,
    ],
)

pages_router = Router(
    path="/",
    include_in_schema=False,
    # The sign-in round trip to Google or Microsoft asks for no user (it signs one in).
    route_handlers=[_pages, oidc.oidc_start, oidc.oidc_callback],
)

__all__ = ["api_router", "pages_router"]
