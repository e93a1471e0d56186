"""The public playback JSON API: what a code plays now (the page polls it while the
audio is being made) and the listens the page reports. Neither counts a scan."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.playback.visits import visit_of


class PlaybackState(msgspec.Struct, frozen=True, kw_only=True):
    """What a public code plays now."""

    status: str  # pending | processing | completed | failed
    audio_url: str | None  # set once there is audio to play


class PlaybackController(Controller):
    path = "/playback"
    tags = ["playback"]

    @get("/{code:str}", cache_control=NO_STORE_REPLY, responses=problems(404, 410))
    async def state(
        self, code: FromPath[str], platform: NamedDependency[Platform]
    ) -> PlaybackState:
        """What a public code plays now; no scan is counted."""
        shown = await platform.playback.playback.page(code)
        return PlaybackState(status=str(shown.status), audio_url=shown.audio_url)

    @post("/{code:str}/listen", status_code=HTTP_204_NO_CONTENT, responses=problems(410, 429))
    async def listen(
        self,
        code: FromPath[str],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> None:
        """Count a listen of a public code (the playback page calls this on play)."""
        await platform.playback.playback.record_listen(code, await visit_of(request, platform))
