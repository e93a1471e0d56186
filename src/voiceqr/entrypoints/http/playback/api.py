"""The public playback JSON API: what a code plays now (the page polls it while the
audio is being made) and the listens the page reports, with what each heard. None
counts a scan. And for the owner, how far the listens of a code went."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.playback.schemas import (
    HeardReport,
    ListenThroughOut,
    listen_through_out,
)
from voiceqr.entrypoints.http.playback.visits import visit_of


class PlaybackState(msgspec.Struct, frozen=True, kw_only=True):
    """What a public code plays now."""

    status: str  # pending | processing | completed | failed
    audio_url: str | None  # set once there is audio to play
    revision: int | None  # the revision of that audio, for the player's reports


class PlaybackController(Controller):
    path = "/playback"
    tags = ["playback"]

    @get("/{code:str}", cache_control=NO_STORE_REPLY, responses=problems(404, 410, 451))
    async def state(
        self, code: FromPath[str], platform: NamedDependency[Platform]
    ) -> PlaybackState:
        """What a public code plays now; no scan is counted."""
        shown = await platform.playback.playback.page(code)
        return PlaybackState(
            status=str(shown.status), audio_url=shown.audio_url, revision=shown.revision
        )

    @post("/{code:str}/listen", status_code=HTTP_204_NO_CONTENT, responses=problems(410, 429, 451))
    async def listen(
        self,
        code: FromPath[str],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> None:
        """Count a listen of a public code (the playback page calls this on play)."""
        await platform.playback.playback.record_listen(code, await visit_of(request, platform))

    @post(
        "/{code:str}/progress",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(404, 410, 422, 429, 451),
    )
    async def progress(
        self,
        code: FromPath[str],
        data: JSONBody[HeardReport],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> None:
        """Add what one listen heard so far to it (the playback page reports on pause,
        at the end and when the page is hidden, whenever the listen heard more)."""
        await platform.playback.playback.record_heard(
            code,
            listen_id=data.listen,
            heard=data.heard,
            revision=data.revision,
            visit=await visit_of(request, platform),
        )


class ListenThroughController(Controller):
    path = "/generations"
    tags = ["playback"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    @get("/{generation_id:uuid}/listen-through", responses=problems(404))
    async def listen_through(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> ListenThroughOut:
        """How far the listens of the audio a code plays now went: completion rate,
        average share heard, a retention curve of 20 points (5% each) and the share of
        listens that heard each sentence of the transcript."""
        stats = await platform.playback.playback.listen_through(user, generation_id)
        return listen_through_out(stats)
