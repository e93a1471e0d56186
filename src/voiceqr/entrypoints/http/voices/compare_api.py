"""Comparing voices side by side in the JSON API: one short text, two to four voices,
a preview of each, followed until every one is ready."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from msgspec import Meta

from voiceqr.application.generations.previews import ComparisonView
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.previews import MAX_PREVIEW_TEXT, MAX_VOICES, MIN_VOICES
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, multi_line


class CompareRequest(Body):
    """One text (at most 300 characters) and the voices to read it (2 to 4)."""

    text: Annotated[str, multi_line(MAX_PREVIEW_TEXT)]
    voice_ids: Annotated[list[UUID], Meta(min_length=MIN_VOICES, max_length=MAX_VOICES)]


class PreviewOut(msgspec.Struct):
    """One voice's reading: `audio_url` (an MP3) once `status` is `completed`.

    `status`: `pending`, `processing`, `completed`, `failed` (`error` says why) or
    `expired` (previews are kept for days, then deleted)."""

    voice_id: UUID
    voice_name: str
    status: str
    audio_url: str | None
    error: str | None = None


class ComparisonOut(msgspec.Struct):
    """A comparison: poll `GET /api/v1/voices/compare/{id}` until `done`."""

    id: UUID
    text: str
    done: bool
    created_at: datetime
    expires_at: datetime
    previews: list[PreviewOut]
    new_previews: int = 0  # made for this request; the others were found made and are free


def comparison_out(view: ComparisonView) -> ComparisonOut:
    return ComparisonOut(
        id=view.id,
        text=view.text,
        done=view.done,
        created_at=view.created_at,
        expires_at=view.expires_at,
        previews=[
            PreviewOut(
                voice_id=r.voice_id,
                voice_name=r.voice_name,
                status=r.status,
                audio_url=r.audio_url,
                error=r.error_message,
            )
            for r in view.readings
        ],
        new_previews=view.new_previews,
    )


class CompareController(Controller):
    path = "/voices/compare"
    tags = ["voices"]
    opt = api_key_scopes(GET=Scope.READ, POST=Scope.GENERATE)
    dependencies = {"user": Provide(current_user)}

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(
                data_container=ComparisonOut,
                description="Every preview was made already: all of them play at once.",
            ),
            **problems(404, 429),  # 404: a voice that is not in the gallery
        },
    )
    async def compare(
        self,
        data: JSONBody[CompareRequest],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> Response[ComparisonOut]:
        """Hear one text read by 2 to 4 voices (the text at most 300 characters).

        Each voice's preview is made in the background (202; poll the comparison), or
        was made already for anyone (200 when all were: nothing to wait for). A text and
        voice compared before cost nothing; new previews count against the user's daily
        allowance (429 with `Retry-After` past it). A voice that is not published is 404.
        """
        view = await platform.generations.previews.compare(
            user, text=data.text, voice_ids=data.voice_ids
        )
        return Response(
            comparison_out(view),
            status_code=HTTP_200_OK if view.done else HTTP_202_ACCEPTED,
            headers=NO_STORE,
        )

    @get("/{comparison_id:uuid}")
    async def get_comparison(
        self,
        comparison_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> Response[ComparisonOut]:
        """Where each preview of the user's comparison is, with its audio once ready."""
        view = await platform.generations.previews.comparison(user, comparison_id)
        return Response(comparison_out(view), headers=NO_STORE)


api_router = Router(path="/", route_handlers=[CompareController])
