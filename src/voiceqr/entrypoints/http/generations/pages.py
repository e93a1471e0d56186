"""The generations' web pages: create, history (search, filters, paging), a generation's
page with its "Edit and regenerate" form, and deleting one."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.generations.generations import HistoryPage
from voiceqr.application.generations.revisions import Edit
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.titles import MAX_TITLE_LENGTH
from voiceqr.domain.profile.preferences import MAX_DRAFT_LENGTH
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.entrypoints.http.generations.history_filters import cleaned_filters, history_filter
from voiceqr.entrypoints.http.generations.views import (
    STATUS_WORDS,
    generation_outs,
    generation_page_context,
    label_choices,
    reader_zone,
)
from voiceqr.entrypoints.http.kit.forms import Form, field_named, page, refusal_status
from voiceqr.entrypoints.http.kit.views import when
from voiceqr.entrypoints.http.kit.voices import GUESS_FROM_CHARS, voice_out

# The picker's short list: the chosen voice, favorites, then recently used ones, topped
# up from the gallery's order so a new account still has a few to choose from.
PICKER_LEAST = 4
PICKER_MOST = 8


async def _create_page(
    platform: Platform,
    user: User,
    *,
    error: str | None = None,
    error_field: str | None = None,
    text: str = "",
    title: str = "",
    voice_id: str = "",
    submitted: bool = True,
    status: int = 200,
) -> Template:
    """The create form with its compact voice picker. A re-rendered form keeps what was
    sent; a fresh one restores the saved draft, its voice chosen unless `voice_id` (the
    voice picked in the gallery) says otherwise, else the default voice, else the one
    last used."""
    gallery = await platform.voices.list_for(user)
    by_id = {v.id: v for v in gallery}
    favorites = [i for i in await platform.voice_engagement.starred(user) if i in by_id]
    recent = [i for i in await platform.profile.recent_voice_ids(user) if i in by_id]
    preferences = await platform.profile.get(user)
    draft = not submitted
    preselect = [
        voice_id,
        str(preferences.draft_voice_id),
        str(preferences.default_voice_id),
        *(str(i) for i in [*recent, *favorites][:1]),  # else the voice last used
    ]
    listed = {str(i) for i in by_id}
    chosen = next((v for v in preselect if v in listed), str(gallery[0].id) if gallery else "")
    short = list(dict.fromkeys([*([UUID(chosen)] if chosen else []), *favorites, *recent]))
    short += [v.id for v in gallery if v.id not in short][: max(0, PICKER_LEAST - len(short))]
    picker = [await voice_out(platform, by_id[i]) for i in short[:PICKER_MOST]]
    # Each voice's provider has its own limit: the counter follows the chosen voice.
    limits = {
        s.provider: s.max_text_length for s in platform.generations.generations.synthesizers()
    }
    voice_limits = {str(v.id): limits.get(v.provider, 0) for v in picker}
    max_chars = voice_limits.get(chosen) or max(limits.values(), default=5000)
    shown_text = preferences.draft_text if draft else text
    return page(
        "generations/create.html",
        status,
        user=user,
        voices=picker,
        gallery_size=len(gallery),
        favorites={str(i) for i in favorites},
        recent={str(i) for i in recent},
        error=error,
        error_field=error_field,
        text=shown_text,
        title=title,
        max_title=MAX_TITLE_LENGTH,
        voice_limits=voice_limits,
        too_long_by=max(0, len(shown_text.strip()) - max_chars),
        draft_saved_at=preferences.draft_saved_at if draft and shown_text else None,
        voice_id=chosen,
        browse_url="/voices?"
        + urlencode({"pick": 1, **({"text": shown_text[:GUESS_FROM_CHARS]} if shown_text else {})}),
        guess_from=GUESS_FROM_CHARS,
        max_chars=max_chars,
        max_draft=MAX_DRAFT_LENGTH,
    )


@get("/generations/new")
async def create_page(
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    voice_id: FromQuery[str] = "",
) -> Template:
    """The create form; `voice_id` is the voice chosen in the gallery, the draft kept."""
    return await _create_page(platform, user, voice_id=voice_id[:64], submitted=False)


@post(
    "/generations",
    status_code=303,
)
async def create_submit(
    data: Form, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Response[Any]:
    text, voice = data.get("text", ""), data.get("voice_id", "")
    title = data.get("title", "")
    try:
        voice_id = UUID(voice)
    except ValueError:
        return await _create_page(
            platform,
            user,
            error="Pick a voice.",
            error_field="voice_id",
            text=text,
            title=title,
            voice_id=voice,
            status=422,
        )
    try:
        generation = await platform.generations.generations.request(
            user, text=text, voice_id=voice_id, title=title
        )
    except DomainError as exc:
        # A voice that is gone is a choice to make again on this form.
        status = refusal_status(exc, _REQUEST_REFUSALS, instead={ErrorCategory.NOT_FOUND: 422})
        return await _create_page(
            platform,
            user,
            error=exc.message,
            error_field=field_named(exc, _CREATE_FIELDS),
            text=text,
            title=title,
            voice_id=voice,
            status=status,
        )
    return Redirect(f"/generations/{generation.id}", status_code=303)


HISTORY_PAGE_SIZE = 20


@get("/generations")
async def history_page(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    cursor: FromQuery[str | None] = None,
    voice_id: FromQuery[str] = "",
    status: FromQuery[str] = "",
    deleted: FromQuery[str] = "",
    q: FromQuery[str] = "",
    folder_id: FromQuery[str] = "",
    tag: FromQuery[str] = "",
    created_from: FromQuery[str] = "",
    created_to: FromQuery[str] = "",
    batch: FromQuery[str] = "",
    count: FromQuery[int] = 0,
) -> Template:
    """The user's generations, a page at a time, searched and filtered by voice, status,
    folder, tag and days (in the reader's time zone); the filters stay in the paging links.

    Filter values the form cannot produce are ignored rather than refused; a search the
    index cannot take (too long, too many words) or days in the wrong order are
    explained above an empty list.
    """
    filters = cleaned_filters(
        {
            "q": q,
            "voice_id": voice_id,
            "status": status,
            "folder_id": folder_id,
            "tag": tag,
            "created_from": created_from,
            "created_to": created_to,
        }
    )
    zone = await reader_zone(platform, user, request)
    search_error, found = None, HistoryPage(items=[], next_cursor=None)
    try:
        found = await platform.generations.generations.history(
            user,
            matching=history_filter(filters, zone),
            cursor=cursor or None,
            limit=HISTORY_PAGE_SIZE,
        )
    except ValidationError as exc:
        search_error = exc.message
    kept = {k: v for k, v in filters.items() if v}
    older = None
    if found.next_cursor:
        older = "/generations?" + urlencode({**kept, "cursor": found.next_cursor})
    return page(
        "generations/history.html",
        user=user,
        items=[(g, when(g.created_at, zone)) for g in await generation_outs(platform, found.items)],
        voices=await platform.voices.list_for(user),
        statuses={str(s): word for s, word in STATUS_WORDS.items()},
        filters=filters,
        filtered=bool(kept),
        search_error=search_error,
        older=older,
        newest=("/generations?" + urlencode(kept)) if cursor else None,
        deleted=deleted == "1",
        batch_notice=_batch_notice(batch, count),
        export_query=urlencode(kept),
        **await label_choices(platform, user),
    )


_BATCH_DONE = {"delete": "deleted", "move": "moved", "tag": "tagged", "untag": "untagged"}


def _batch_notice(action: str, count: int) -> str | None:
    """What the batch form just did, told on the history page it returns to."""
    if action == "none":
        return "Tick at least one generation first (or choose every matching one)."
    done = _BATCH_DONE.get(action)
    return None if done is None else f"{count} generation{'' if count == 1 else 's'} {done}."


@get(
    "/generations/{generation_id:uuid}",
)
async def generation_page(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    design: FromQuery[str] = "",
) -> Template:
    """A generation's page; `design` says what the QR design forms just did."""
    generation = await platform.generations.generations.get_for_owner(user, generation_id)
    context = await generation_page_context(request, platform, user, generation)
    return page("generations/generation.html", **context, design_notice=_DESIGN_DONE.get(design))


_DESIGN_DONE = {
    "saved": "Design saved: the SVG, PNG and PDF of this code are drawn to it.",
    "logo": "Logo added: the code is now made with more error correction, so it still scans.",
}


@post(
    "/generations/{generation_id:uuid}/delete",
    status_code=303,
)
async def delete_submit(
    generation_id: FromPath[UUID], platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Redirect:
    """The confirmed delete button of the generation page."""
    await platform.generations.generations.delete(user, generation_id)
    return Redirect("/generations?deleted=1", status_code=303)


class TitleForm(msgspec.Struct):
    title: str = ""


@post(
    "/generations/{generation_id:uuid}/title",
    status_code=303,
)
async def title_submit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Annotated[TitleForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    """The "Rename" form: a blank title goes back to the first words of the text."""
    try:
        await platform.generations.revisions.edit(user, generation_id, Edit(title=data.title))
    except DomainError as exc:
        status = refusal_status(exc)
        generation = await platform.generations.generations.get_for_owner(user, generation_id)
        context = await generation_page_context(
            request, platform, user, generation, title_error=exc.message, title_tried=data.title
        )
        return page("generations/generation.html", status, **context)
    return Redirect(f"/generations/{generation_id}", status_code=303)


class EditForm(msgspec.Struct):
    text: str = ""
    voice_id: str = ""


# Refusals the forms explain next to their fields; anything else is a real error page.
_REQUEST_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.NOT_FOUND, ErrorCategory.PERMISSION)
_EDIT_REFUSALS = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.PERMISSION)
# The create form's fields, by the codes of the refusals about them (kit/forms.py).
_CREATE_FIELDS = {
    "text": "text",
    "title": "title",
    "voice": "voice_id",
    "unknown_voice": "voice_id",
}


@post(
    "/generations/{generation_id:uuid}/edit",
    status_code=303,
)
async def edit_submit(
    request: Request[Any, Any, Any],
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
        await platform.generations.revisions.edit(
            user, generation_id, Edit(text=text, voice_id=voice_id)
        )
    except DomainError as exc:
        status = refusal_status(exc, _EDIT_REFUSALS)
        generation = await platform.generations.generations.get_for_owner(user, generation_id)
        context = await generation_page_context(
            request,
            platform,
            user,
            generation,
            edit_error=exc.message,
            edit_text=text,
            edit_voice_id=voice,
        )
        return page("generations/generation.html", status, **context)
    return Redirect(f"/generations/{generation_id}", status_code=303)
