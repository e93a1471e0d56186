"""Analytics: the owner's dashboards of scans and listens, in the JSON API and as pages."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.analytics import api, pages
from voiceqr.entrypoints.http.kit.auth import current_user

api_router = Router(
    path="/",
    route_handlers=[api.AnalyticsController, api.code_analytics],
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"user": Provide(current_user), "asked": Provide(pages.asked_period)},
    route_handlers=[pages.account_page, pages.code_page, pages.account_csv, pages.code_csv],
)

__all__ = ["api_router", "pages_router"]
