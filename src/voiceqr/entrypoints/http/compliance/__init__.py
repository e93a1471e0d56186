"""The terms of service and privacy policy: their public pages and JSON, and the page
where a signed-in user accepts a material new version (publishing is in the backoffice)."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.compliance import pages
from voiceqr.entrypoints.http.compliance.api import LegalController
from voiceqr.entrypoints.http.kit.auth import current_user

api_router = Router(path="/", route_handlers=[LegalController])
pages_router = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[
        pages.terms_page,
        pages.terms_version_page,
        pages.privacy_page,
        pages.privacy_version_page,
        Router(
            path="/",
            dependencies={"user": Provide(current_user)},
            route_handlers=[pages.accept_page, pages.accept_submit],
        ),
    ],
)

__all__ = ["api_router", "pages_router"]
