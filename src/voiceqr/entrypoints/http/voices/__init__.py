"""Voices: the gallery a generation's voice is picked from, and its samples."""

from litestar import Router

from voiceqr.entrypoints.http.voices import api, samples_api

api_router = Router(path="/", route_handlers=[api.api_router, samples_api.api_router])
pages_router = None

__all__ = ["api_router", "pages_router"]
