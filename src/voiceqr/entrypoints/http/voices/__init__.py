"""Voices: the gallery a generation's voice is picked from, and people's favorites,
ratings and reviews of its voices."""

from litestar import Router

from voiceqr.entrypoints.http.voices.api import api_router as gallery_router
from voiceqr.entrypoints.http.voices.engagement_api import engagement_router

api_router = Router(path="/", route_handlers=[gallery_router, engagement_router])
pages_router = None

__all__ = ["api_router", "pages_router"]
