"""The JSON API under /api/v1 (documented at /api/v1/schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import what_to_do
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import Filing, Label
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.text import ONE_LINE_CHARACTERS, refuse_control_characters
from voiceqr.domain.voices.voice import Voice
from voiceqr.entrypoints.http.api_revisions import GenerationEdit
from voiceqr.entrypoints.http.auth import (
    api_key_scopes,
    client_address,
    current_admin,
    current_user,
    optional_user,
)
from voiceqr.entrypoints.http.openapi import problems
from voiceqr.entrypoints.http.schemas import (
    GenerationCreate,
    GenerationError,
    GenerationList,
    GenerationOut,
    LabelRef,
    SampleOut,
    UserOut,
    VoiceCreate,
    VoiceOut,
    VoicePatch,
)

QrSize = Annotated[int, Parameter(ge=64, le=4096, description="Width and height in pixels")]

QUEUE_WAITING = "Queued: the job will start as soon as the job queue is back."
# How old this process's last word on the job queue may be before a presenter asks it
# again (one PING, shared by every request meanwhile; nothing is written).
QUEUE_STATE_MAX_AGE = 5.0


# Dates are read here rather than by Litestar, which also takes numbers such as -1 or
# 0.5 as Unix times. The schema says what is read: a date or a date-time.
_ISO_8601 = {
    "oneOf": [
        Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE),
        Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
    ]
}
_MOMENT = "an ISO 8601 date (2026-05-01, its midnight) or date-time (2026-05-01T09:30:00Z)"
_ONE_LINE = {"pattern": f"^{ONE_LINE_CHARACTERS}*$"}


async def history_filter(
    voice_id: FromQuery[UUID | None] = None,
    status: FromQuery[GenerationStatus | None] = None,
    created_from: Annotated[
        str | None,
        Parameter(
            description=f"Made at or after this moment: {_MOMENT}; UTC if no zone",
            schema_extra=_ISO_8601,
        ),
    ] = None,
    created_to: Annotated[
        str | None,
        Parameter(
            description=f"Made before this moment: {_MOMENT}; UTC if no zone",
            schema_extra=_ISO_8601,
        ),
    ] = None,
    q: Annotated[
        str | None,
        Parameter(
            max_length=200,
            description="Words the text contains, each a word prefix",
            schema_extra=_ONE_LINE,
        ),
    ] = None,
    folder_id: FromQuery[UUID | None] = None,
    tag: Annotated[
        str | None, Parameter(max_length=200, description="A tag name", schema_extra=_ONE_LINE)
    ] = None,
) -> GenerationFilter:
    """The history filters from the query string, for every endpoint that takes them.

    A date that is not ISO 8601 is a malformed request (400); a control character in
    `q` or `tag` is refused as in any body (422 `control_characters`).
    """
    for name, value in (("q", q), ("tag", tag)):
        if value is not None:
            refuse_control_characters(value, what=f"`{name}`")
    return GenerationFilter(
        voice_id=voice_id,
        status=status,
        created_from=_moment("created_from", created_from),
        created_to=_moment("created_to", created_to),
        text=q or None,
        folder_id=folder_id,
        tag=tag or None,
    )


def _moment(name: str, value: str | None) -> datetime | None:
    """A query parameter read as an ISO 8601 date or date-time, as `datetime.fromisoformat`
    reads them (RFC 3339's lower-case `t` and `z` included)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError:
        message = f"Give {_MOMENT}."
        raise ValidationException(
            detail=message, extra=[{"message": message, "key": name, "source": "query"}]
        ) from None


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, role=str(user.role))


async def voice_out(platform: Platform, voice: Voice) -> VoiceOut:
    urls = await platform.voices.sample_urls(voice)
    return VoiceOut(
        id=voice.id,
        name=voice.name,
        description=voice.description,
        type=voice.type,
        language=voice.language,
        region=voice.region,
        age=voice.age,
        style=voice.style,
        provider=voice.provider,
        provider_voice_id=voice.provider_voice_id,
        published=voice.published,
        priority=voice.priority,
        samples=[SampleOut(label=s.label, url=u) for s, u in zip(voice.samples, urls, strict=True)],
    )


async def generation_out(
    platform: NamedDependency[Platform],
    generation: Generation,
    counts: PlaybackCounts | None = None,
    filing: Filing | None = None,
) -> GenerationOut:
    """One generation for the API and the pages; a list passes `counts` and `filing`
    fetched for the whole page (see `generation_outs`), or they are read here."""
    counts = counts or (await platform.playback.counts([generation.id])).get(
        generation.id, PlaybackCounts()
    )
    if filing is None:
        filing = (await platform.folders.filings_of([generation])).get(generation.id, Filing())
    error = None
    if generation.error_code and generation.error_category and generation.error_message:
        error = GenerationError(
            category=str(generation.error_category),
            code=generation.error_code,
            message=generation.error_message,
            advice=what_to_do(generation.error_category),
        )
    base = f"/api/v1/generations/{generation.id}"
    return GenerationOut(
        id=generation.id,
        status=str(generation.status),
        text=generation.text,
        voice_id=generation.voice_id,
        public_code=generation.public_code,
        playback_url=platform.playback_url(generation.public_code),
        audio_url=await platform.generations.audio_url(generation),
        qr_svg_url=f"{base}/qr.svg",
        qr_png_url=f"{base}/qr.png",
        attempts=generation.attempts,
        created_at=generation.created_at,
        completed_at=generation.completed_at,
        next_attempt_at=generation.next_attempt_at,
        error=error,
        scans=counts.scans,
        listens=counts.listens,
        revision=generation.revision,
        live_revision=generation.live_revision,
        folder=None if filing.folder is None else label_ref(filing.folder),
        tags=[tag.name for tag in filing.tags],
        queue_notice=await queue_notice(platform, generation),
    )


async def queue_notice(platform: Platform, generation: Generation) -> str | None:
    """What a pending generation waits for when the job queue does not answer."""
    if generation.status is not GenerationStatus.PENDING:
        return None
    state = await platform.queue_health.check(max_age=QUEUE_STATE_MAX_AGE)
    return None if state.reachable else QUEUE_WAITING


def label_ref(label: Label) -> LabelRef:
    return LabelRef(id=label.id, name=label.name)


async def generation_list(
    platform: Platform, generations: list[Generation], next_cursor: str | None = None
) -> GenerationList:
    return GenerationList(
        items=await generation_outs(platform, generations), next_cursor=next_cursor
    )


async def generation_outs(platform: Platform, generations: list[Generation]) -> list[GenerationOut]:
    """A page of generations, with their counts, folders and tags read in bulk."""
    counts = await platform.playback.counts([g.id for g in generations])
    filings = await platform.folders.filings_of(generations)
    return [
        await generation_out(platform, g, counts.get(g.id), filings.get(g.id, Filing()))
        for g in generations
    ]


class VoiceController(Controller):
    path = "/voices"
    tags = ["voices"]
    opt = api_key_scopes(GET=Scope.READ, POST=Scope.ADMIN, PATCH=Scope.ADMIN, DELETE=Scope.ADMIN)

    @get("/", dependencies={"viewer": Provide(optional_user)})
    async def list_voices(
        self, platform: NamedDependency[Platform], viewer: NamedDependency[User | None]
    ) -> list[VoiceOut]:
        """Published voices (administrators also see unpublished ones)."""
        return [await voice_out(platform, v) for v in await platform.voices.list_for(viewer)]

    @get("/{voice_id:uuid}", dependencies={"viewer": Provide(optional_user)})
    async def get_voice(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        viewer: NamedDependency[User | None],
    ) -> VoiceOut:
        return await voice_out(platform, await platform.voices.get(voice_id, user=viewer))

    @post("/", dependencies={"admin": Provide(current_admin)})
    async def create_voice(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceCreate],
        platform: NamedDependency[Platform],
        admin: NamedDependency[User],
    ) -> VoiceOut:
        """Add a voice to the gallery (administrators)."""
        spec = VoiceSpec(**msgspec.structs.asdict(data))
        return await voice_out(
            platform,
            await platform.voices.create(admin, spec, ip=client_address(request, platform)),
        )

    @patch("/{voice_id:uuid}", dependencies={"admin": Provide(current_admin)})
    async def update_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: JSONBody[VoicePatch],
        platform: NamedDependency[Platform],
        admin: NamedDependency[User],
    ) -> VoiceOut:
        """Change some fields of a voice (administrators)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return await voice_out(
            platform,
            await platform.voices.update(
                admin, voice_id, changes, ip=client_address(request, platform)
            ),
        )

    @delete("/{voice_id:uuid}", dependencies={"admin": Provide(current_admin)})
    async def delete_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        admin: NamedDependency[User],
    ) -> None:
        """Remove a voice and its samples (administrators)."""
        await platform.voices.delete(admin, voice_id, ip=client_address(request, platform))


class GenerationController(Controller):
    path = "/generations"
    tags = ["generations"]
    opt = api_key_scopes(
        GET=Scope.READ, POST=Scope.GENERATE, PATCH=Scope.GENERATE, DELETE=Scope.GENERATE
    )
    dependencies = {"user": Provide(current_user)}

    @post("/", status_code=HTTP_202_ACCEPTED)
    async def create(
        self,
        data: JSONBody[GenerationCreate],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> GenerationOut:
        """Ask for spoken audio of a text; it is made in the background."""
        generation = await platform.generations.request(
            user, text=data.text, voice_id=data.voice_id
        )
        return await generation_out(platform, generation, PlaybackCounts())

    @get("/", dependencies={"matching": Provide(history_filter)})
    async def list_generations(
        self,
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        matching: NamedDependency[GenerationFilter],
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None,
            Parameter(max_length=200, description="`next_cursor` of the previous page"),
        ] = None,
    ) -> GenerationList:
        """The signed-in user's generations, newest first, a page at a time.

        Filters combine; pass `next_cursor` back as `cursor` for the older items.
        Generations made meanwhile never shift or repeat the later pages.
        """
        page = await platform.generations.history(
            user, matching=matching, cursor=cursor, limit=limit
        )
        return await generation_list(platform, page.items, page.next_cursor)

    @get("/{generation_id:uuid}")
    async def get_generation(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> GenerationOut:
        """Status, playback URL, audio and QR links of one generation."""
        return await generation_out(
            platform, await platform.generations.get_for_owner(user, generation_id)
        )

    # Here rather than in `api_revisions`: Litestar refuses a second controller on this
    # path (each adds an OPTIONS handler for it).
    @patch("/{generation_id:uuid}", status_code=HTTP_202_ACCEPTED, responses=problems(409))
    async def edit_generation(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[GenerationEdit],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> GenerationOut:
        """Edit the text and/or voice of a completed or failed generation and make it again.

        A new revision is made in the background (G3); the public code and printed QR
        stay the same and keep playing the current audio until the new one is ready
        (409 `generation_busy` while a version is still being made).
        """
        generation = await platform.generation_revisions.edit(user, generation_id, data.edit())
        return await generation_out(platform, generation)

    @delete("/{generation_id:uuid}")
    async def delete_generation(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> None:
        """Delete a generation: its audio is removed and its public code answers 410."""
        await platform.generations.delete(user, generation_id)

    @get("/{generation_id:uuid}/qr.svg", media_type="image/svg+xml")
    async def qr_svg(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        size: QrSize = 512,
    ) -> Response[bytes]:
        """The QR code as SVG; it encodes the public playback URL."""
        generation = await platform.generations.get_for_owner(user, generation_id)
        body = platform.qr.svg(platform.playback_url(generation.public_code), size=size)
        return _download(body, "image/svg+xml", f"voiceqr-{generation.public_code}.svg")

    @get("/{generation_id:uuid}/qr.png", media_type="image/png")
    async def qr_png(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        size: QrSize = 512,
    ) -> Response[bytes]:
        """The QR code as a PNG of `size` x `size` pixels."""
        generation = await platform.generations.get_for_owner(user, generation_id)
        body = platform.qr.png(platform.playback_url(generation.public_code), size=size)
        return _download(body, "image/png", f"voiceqr-{generation.public_code}.png")


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
        await platform.playback.record_listen(
            code, user_agent=request.headers.get("user-agent", "")
        )


def _download(body: bytes, media_type: str, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, max-age=3600",
        },
    )


API_CONTROLLERS = [
    VoiceController,
    GenerationController,
    PlaybackController,
]
