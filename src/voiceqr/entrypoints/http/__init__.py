"""The Litestar app: JSON API under /api/v1, web pages and the public playback page."""

from voiceqr.entrypoints.http.app import create_app

__all__ = ["create_app"]
