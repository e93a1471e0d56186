"""Content moderation in public: the transparency page and a banned owner's appeal
page (the staff side is in the backoffice, reports on the playback page, other appeals
on the generation page)."""

from litestar import Router

from voiceqr.entrypoints.http.moderation.appeal_pages import appeal_by_link, appeal_page
from voiceqr.entrypoints.http.moderation.pages import transparency_page

api_router = None
pages_router = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[transparency_page, appeal_page, appeal_by_link],
)

__all__ = ["api_router", "pages_router"]
