"""Generations in the JSON API: ask for one, list and search them, read, edit, delete,
their QR codes, revisions and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi.spec import OpenAPIFormat, OpenAPIType, Schema
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from litestar.status_codes import HTTP_202_ACCEPTED

from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.generations.qr_designs import QrKind
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus, placement_name
from voiceqr.domain.generations.qr_design import MAX_LABEL_LENGTH, QrDesign
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.text import ONE_LINE_CHARACTERS, refuse_control_characters
from voiceqr.entrypoints.http.generations.schemas import (
    AttemptOut,
    GenerationCreate,
    GenerationEdit,
    GenerationList,
    GenerationOut,
    RevisionOut,
)
from voiceqr.entrypoints.http.generations.views import (
    attempt_out,
    generation_list,
    generation_out,
    revision_out,
)
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.openapi import problems

QrSize = Annotated[int, Parameter(ge=64, le=4096, description="Width and height in pixels")]
Placement = Annotated[
    str,
    Parameter(
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Where this print goes (lobby, flyer-a): its scans are counted apart",
    ),
]


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
        generation = await platform.generations.generations.request(
            user, text=data.text, voice_id=data.voice_id, title=data.title
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
        page = await platform.generations.generations.history(
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
            platform, await platform.generations.generations.get_for_owner(user, generation_id)
        )

    # Here rather than in `GenerationRevisionController`: Litestar refuses a second
    # controller on this path (each adds an OPTIONS handler for it).
    @patch("/{generation_id:uuid}", status_code=HTTP_202_ACCEPTED, responses=problems(409))
    async def edit_generation(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[GenerationEdit],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> GenerationOut:
        """Edit the text and/or voice of a completed or failed generation and make it
        again, and/or rename it (`title`).

        A title alone only renames it, in any state (202 all the same). A new text or
        voice makes a new revision in the background (G3); the public code and printed
        QR stay the same and keep playing the current audio until the new one is ready
        (409 `generation_busy` while a version is still being made).
        """
        generation = await platform.generations.revisions.edit(user, generation_id, data.edit())
        return await generation_out(platform, generation)

    @delete("/{generation_id:uuid}")
    async def delete_generation(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> None:
        """Delete a generation: its audio is removed and its public code answers 410."""
        await platform.generations.generations.delete(user, generation_id)

    @get("/{generation_id:uuid}/qr.svg", media_type="image/svg+xml", responses=problems(409))
    async def qr_svg(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        size: QrSize = 512,
        placement: Placement = "",
    ) -> Response[bytes]:
        """The QR code as SVG, drawn to its design; it encodes the public playback URL (of
        one placement). A failed generation has none (409 `generation_failed_no_qr`)."""
        return await qr_download(platform, user, generation_id, "svg", size, placement)

    @get("/{generation_id:uuid}/qr.png", media_type="image/png", responses=problems(409))
    async def qr_png(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        size: QrSize = 512,
        placement: Placement = "",
    ) -> Response[bytes]:
        """The QR code as a PNG `size` pixels wide (taller by its caption when framed),
        drawn to its design (of one placement)."""
        return await qr_download(platform, user, generation_id, "png", size, placement)

    @get("/{generation_id:uuid}/qr.pdf", media_type="application/pdf", responses=problems(409))
    async def qr_pdf(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        placement: Placement = "",
        label: Annotated[
            str,
            Parameter(
                max_length=MAX_LABEL_LENGTH,
                description="Printed under the code (a room, an exhibit)",
                schema_extra=_ONE_LINE,
            ),
        ] = "",
    ) -> Response[bytes]:
        """An A4 print sheet: the code drawn to its design, its caption, and `label`."""
        return await qr_download(platform, user, generation_id, "pdf", 512, placement, label)


_QR_MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf"}


async def qr_download(
    platform: Platform,
    user: User,
    generation_id: UUID,
    kind: QrKind,
    size: int,
    placement: str,
    label: str = "",
    preview: QrDesign | None = None,
) -> Response[bytes]:
    """The QR code of a generation (of one placement) drawn to its design (or to a
    `preview`), as a file named after its code."""
    generation, body = await platform.generations.qr_designs.draw(
        user, generation_id, kind, size=size, placement=placement, label=label, preview=preview
    )
    named = placement_name(placement)
    filename = f"voiceqr-{generation.public_code}{f'-{named}' if named else ''}.{kind}"
    return Response(
        body,
        media_type=_QR_MEDIA_TYPES[kind],
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            # The design can change at any time, so the browser asks again each time.
            "Cache-Control": "private, no-cache",
        },
    )


class GenerationRevisionController(Controller):
    """What one generation went through: its revisions and the attempts at its audio."""

    path = "/generations"
    tags = ["generations"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    @get("/{generation_id:uuid}/revisions")
    async def list_revisions(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> list[RevisionOut]:
        """Every revision of one of your generations, newest first, each with its audio."""
        views = await platform.generations.revisions.list_for_owner(user, generation_id)
        return [revision_out(v) for v in views]

    @get("/{generation_id:uuid}/attempts")
    async def list_attempts(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> list[AttemptOut]:
        """Every attempt at making the audio of one of your generations, oldest first."""
        attempts = await platform.generations.failures.attempts_for_owner(user, generation_id)
        return [attempt_out(a) for a in attempts]
