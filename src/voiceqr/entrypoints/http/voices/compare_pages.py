"""The compare page: type one short text, tick 2 to 4 voices, and hear each read it,
side by side. A small script follows the readings until they are ready; without it the
page reloads itself once a few seconds later."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.generations.previews import ComparisonView
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.previews import MAX_PREVIEW_TEXT, MAX_VOICES, MIN_VOICES
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.kit.auth import current_user
from voiceqr.entrypoints.http.kit.forms import page, refusal_status

# Seconds before the page without its script reloads to show what is ready by then.
RELOAD_AFTER = 5
_SIGNED_IN = {"user": Provide(current_user)}


async def _compare_page(
    platform: Platform,
    user: User,
    *,
    comparison: ComparisonView | None = None,
    text: str = "",
    picked: list[str] | None = None,
    error: str | None = None,
    reloaded: bool = False,
    status: int = 200,
) -> Template:
    voices = await platform.voices.list_for(user)
    if picked is None:
        picked = [str(r.voice_id) for r in comparison.readings] if comparison else []
    return page(
        "voices/compare.html",
        status,
        user=user,
        voices=voices,
        comparison=comparison,
        text=comparison.text if comparison is not None and not text else text,
        picked=set(picked),
        error=error,
        max_chars=MAX_PREVIEW_TEXT,
        min_voices=MIN_VOICES,
        max_voices=MAX_VOICES,
        reload_after=None if reloaded or comparison is None or comparison.done else RELOAD_AFTER,
    )


@get("/voices/compare", dependencies=_SIGNED_IN)
async def compare_page(
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    voice_ids: FromQuery[list[str] | None] = None,
) -> Template:
    """The form, with the voices ticked in the gallery (`voice_ids`) already ticked."""
    return await _compare_page(platform, user, picked=list(voice_ids or []))


@post("/voices/compare", status_code=303, dependencies=_SIGNED_IN)
async def compare_submit(
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    form = await request.form()  # the ticked voices are several values of one field
    text = str(form.get("text", ""))
    picked = [str(v) for v in form.getall("voice_id")] if "voice_id" in form else []
    voice_ids: list[UUID] = []
    for value in picked:
        try:
            voice_ids.append(UUID(value))
        except ValueError:
            return await _compare_page(
                platform,
                user,
                text=text,
                picked=picked,
                error="Pick voices from the list.",
                status=422,
            )
    try:
        view = await platform.generations.previews.compare(user, text=text, voice_ids=voice_ids)
    except DomainError as exc:
        # A voice that is gone is a choice to make again on this form.
        status = refusal_status(
            exc,
            (ErrorCategory.VALIDATION, ErrorCategory.NOT_FOUND),
            instead={ErrorCategory.NOT_FOUND: 422},
        )
        return await _compare_page(
            platform, user, text=text, picked=picked, error=exc.message, status=status
        )
    return Redirect(f"/voices/compare/{view.id}", status_code=303)


@get("/voices/compare/{comparison_id:uuid}", dependencies=_SIGNED_IN)
async def comparison_page(
    comparison_id: FromPath[UUID],
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
    reloaded: FromQuery[str] = "",
) -> Template:
    comparison = await platform.generations.previews.comparison(user, comparison_id)
    return await _compare_page(platform, user, comparison=comparison, reloaded=bool(reloaded))
