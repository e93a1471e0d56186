"""Content moderation in public: the transparency page (the staff side is in the
backoffice, reports on the playback page, appeals on the generation page)."""

from litestar import Router

from voiceqr.entrypoints.http.moderation.pages import transparency_page

api_router = None
pages_router = Router(path="/", include_in_schema=False, route_handlers=[transparency_page])

__all__ = ["api_router", "pages_router"]
