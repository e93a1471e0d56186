"""The backoffice: the administrators' pages and API under /admin, an area per folder.

Every route asks for `admin` (the signed-in administrator, or an API key with the
admin scope), which the routers below provide: others get 401, 403, or the sign-in page.
"""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.backoffice.generations import api as generations_api
from voiceqr.entrypoints.http.backoffice.generations import pages as generations_pages
from voiceqr.entrypoints.http.backoffice.monitoring import api as monitoring_api
from voiceqr.entrypoints.http.backoffice.monitoring import pages as monitoring_pages
from voiceqr.entrypoints.http.kit.auth import current_admin

_STAFF = {"admin": Provide(current_admin)}

api_router = Router(
    path="/",
    dependencies=_STAFF,
    route_handlers=[
        generations_api.AdminGenerationController,
        monitoring_api.AdminMonitoringController,
    ],
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies=_STAFF,
    route_handlers=[
        monitoring_pages.admin_dashboard,
        generations_pages.admin_generations,
        generations_pages.admin_retry_selected,
        generations_pages.admin_generation,
        generations_pages.admin_retry,
        generations_pages.admin_cancel,
        generations_pages.admin_edit,
    ],
)

__all__ = ["api_router", "pages_router"]
