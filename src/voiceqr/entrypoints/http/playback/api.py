"""The listens a playback page reports, in the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.kit.openapi import problems


class PlaybackController(Controller):
    path = "/playback"
    tags = ["playback"]

    @post("/{code:str}/listen", status_code=HTTP_204_NO_CONTENT, responses=problems(410))
    async def listen(
        self,
        code: FromPath[str],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> None:
        """Count a listen of a public code (the playback page calls this on play)."""
        await platform.playback.playback.record_listen(
            code, user_agent=request.headers.get("user-agent", "")
        )
