"""Playback: the public page a printed code opens, its listens, the audio itself, and
how far the listens of a code went (listen-through) for its owner."""

from litestar import Router

from voiceqr.entrypoints.http.playback.api import ListenThroughController, PlaybackController
from voiceqr.entrypoints.http.playback.media import serve_media
from voiceqr.entrypoints.http.playback.pages import listen_through_page, playback_page
from voiceqr.entrypoints.http.playback.report import (
    ReportController,
    report_page,
    report_submit,
)

api_router = Router(
    path="/", route_handlers=[PlaybackController, ListenThroughController, ReportController]
)
pages_router = Router(
    path="/",
    include_in_schema=False,
    route_handlers=[playback_page, serve_media, listen_through_page, report_page, report_submit],
)

__all__ = ["api_router", "pages_router"]
