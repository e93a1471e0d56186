"""The page a printed QR code opens (every scan lands here, so it stays lean)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.shared.errors import NotFound
from voiceqr.entrypoints.http.kit.forms import page


@get("/p/{code:str}", media_type=MediaType.HTML)
async def playback_page(
    code: FromPath[str], request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Template:
    """The page a printed QR code opens; counts the scan (410 once its owner deleted it)."""
    try:
        found = await platform.playback.playback.page(code)
    except NotFound as exc:
        if exc.code != "audio_removed":
            raise
        return page("playback/playback_removed.html", 410)
    await platform.playback.playback.record_scan(
        code, user_agent=request.headers.get("user-agent", "")
    )
    return page("playback/playback.html", page=found, ready=found.audio_url is not None)
