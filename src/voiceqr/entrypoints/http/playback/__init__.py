"""Playback: the public page a printed code opens, its listens, and the audio itself."""

from litestar import Router

from voiceqr.entrypoints.http.playback.api import ListenThroughController, PlaybackController
from voiceqr.entrypoints.http.playback.media import serve_media
from voiceqr.entrypoints.http.playback.pages import playback_page

api_router = Router(path="/", route_handlers=[PlaybackController, ListenThroughController])
pages_router = Router(
    path="/", include_in_schema=False, route_handlers=[playback_page, serve_media]
)

__all__ = ["api_router", "pages_router"]
