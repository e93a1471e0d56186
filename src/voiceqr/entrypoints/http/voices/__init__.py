"""Voices: the gallery a generation's voice is picked from."""

from voiceqr.entrypoints.http.voices.api import api_router

pages_router = None

__all__ = ["api_router", "pages_router"]
