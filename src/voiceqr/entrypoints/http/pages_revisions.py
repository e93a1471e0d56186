"""The generation page's "Edit and regenerate" form and its list of earlier revisions (G3).

The page itself is `pages.generation_page`; its context is built here so a refused
edit can show the page again with the owner's input and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Response, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from voiceqr.application.generations.revisions import Edit
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.generations.organising import LabelKind
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, NotFound, ValidationError
from voiceqr.entrypoints.http.api import generation_out
from voiceqr.entrypoints.http.auth import current_user

# Not `pages.NO_STORE`: `pages` imports this module for the page's context.
_NO_STORE = {"Cache-Control": "no-store"}


class EditForm(msgspec.Struct):
    text: str = ""
    voice_id: str = ""


# Refusals the form explains next to its fields; anything else is a real error page.
_SHOWN_ON_FORM = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.PERMISSION)


async def generation_page_context(
    platform: Platform,
    user: User,
    generation: Generation,
    *,
    edit_error: str | None = None,
    edit_text: str | None = None,
    edit_voice_id: str | None = None,
) -> dict[str, Any]:
    """Everything generation.html shows: the generation, its QR code, the edit form
    (filled with the current text and voice unless a refused edit is shown again)
    and every revision with its audio."""
    try:
        voice_name = (await platform.voices.get(generation.voice_id, user=user)).name
    except NotFound:
        voice_name = "a removed voice"
    return {
        "user": user,
        "g": await generation_out(platform, generation),
        "voice_name": voice_name,
        "qr_size": (await platform.preferences.get(user)).qr_size,
        "voices": await platform.voices.list_for(user),
        "revisions": await platform.generation_revisions.revisions_of(generation),
        "can_edit": not generation.is_busy,
        "edit_error": edit_error,
        "edit_text": generation.text if edit_text is None else edit_text,
        "edit_voice_id": str(generation.voice_id) if edit_voice_id is None else edit_voice_id,
        "max_chars": max(
            (s.max_text_length for s in platform.generations.synthesizers()), default=5000
        ),
        **await label_choices(platform, user),
    }


async def label_choices(platform: Platform, user: User) -> dict[str, Any]:
    """The user's folders and tags (G4), for the history filters and the generation
    page's "Folder and tags" form."""
    return {
        "folder_choices": [u.label for u in await platform.folders.labels(user, LabelKind.FOLDER)],
        "tag_choices": [u.label for u in await platform.folders.labels(user, LabelKind.TAG)],
    }


@post(
    "/generations/{generation_id:uuid}/edit",
    include_in_schema=False,
    status_code=303,
    dependencies={"user": Provide(current_user)},
)
async def edit_submit(
    generation_id: FromPath[UUID],
    data: Annotated[EditForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """The "Edit and regenerate" form: back to the page, which follows the new revision."""
    text, voice = data.text, data.voice_id
    try:
        try:
            voice_id = UUID(voice)
        except ValueError:
            raise ValidationError("Pick a voice.", code="unknown_voice") from None
        await platform.generation_revisions.edit(
            user, generation_id, Edit(text=text, voice_id=voice_id)
        )
    except DomainError as exc:
        if exc.category not in _SHOWN_ON_FORM:
            raise
        generation = await platform.generations.get_for_owner(user, generation_id)
        context = await generation_page_context(
            platform, user, generation, edit_error=exc.message, edit_text=text, edit_voice_id=voice
        )
        status = {ErrorCategory.CONFLICT: 409, ErrorCategory.PERMISSION: 403}.get(exc.category, 422)
        return Template("generation.html", context=context, status_code=status, headers=_NO_STORE)
    return Redirect(f"/generations/{generation_id}", status_code=303)


REVISION_PAGES = [edit_submit]
