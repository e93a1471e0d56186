"""The voice gallery's staff pages: every voice in a list (samples playable in place,
how much each is used, its metadata), bulk actions on ticked voices, the display order
(up and down buttons that post, or by drag and keyboard with a script), and a voice's
delete confirmation. The voice's own page and its samples are in `voice_pages` and
`sample_pages`.

Server-rendered forms that post and redirect (303) back; a refused form shows the page
again with the reason and the status of its category. Scripts only add to the forms:
dropping files fills the file input and posts the same form, and a moved voice is
saved through the JSON API (`PUT /api/v1/voices/order`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from voiceqr.application.voices.gallery import BatchAction, Removal
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ValidationError
from voiceqr.domain.voices.choosing import VoiceQuery
from voiceqr.entrypoints.http.backoffice.voices import sample_pages, voice_pages
from voiceqr.entrypoints.http.backoffice.voices.views import (
    SHOWN_ON_PAGE,
    action,
    counted,
    done,
    moved,
    notice,
)
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status
from voiceqr.entrypoints.http.voices.samples_api import samples_out

# Every voice, in display order, as the gallery's staff see it.
_EVERY_VOICE = VoiceQuery()


async def _list_page(
    platform: Platform,
    staff: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
    ticked: Collection[str] = (),
    chosen: str = "",
    tag: str = "",
) -> Template:
    cards = await platform.voices.browse(staff, _EVERY_VOICE)
    return page(
        "backoffice/voices/list.html",
        status_code,
        user=staff,
        cards=cards,
        samples={c.voice.id: await samples_out(platform, c.voice) for c in cards},
        bulk_actions=tuple(BatchAction),
        notice=notice,
        error=error,
        ticked=set(ticked),
        chosen=chosen,
        tag=tag,
    )


@get("/admin/voices")
async def admin_voices(
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
    n: FromQuery[int] = 0,
    kept: FromQuery[int] = 0,
) -> Template:
    """Every voice, published or not, in display order."""
    return await _list_page(platform, staff, notice=notice(done, n=n, kept=kept))


@action("/admin/voices/bulk")
async def admin_voices_bulk(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Publish, unpublish, delete, tag or untag every ticked voice, all or none: a
    refusal names the voices at fault and why, and nothing is changed."""
    form = await request.form()
    chosen, tag = str(form.get("action", "")), str(form.get("tag", ""))
    ticked = [str(value) for value in form.getall("ids", [])]
    try:
        if chosen not in tuple(BatchAction):
            raise ValidationError("Pick what to do with the ticked voices.", code="unknown_action")
        if not ticked:
            raise ValidationError("Tick the voices to change first.", code="nothing_ticked")
        ids = [UUID(value) for value in ticked]
        removals = await platform.voices.batch(
            staff, BatchAction(chosen), ids, tag=tag, ip=client_address(request, platform)
        )
    except ValueError:
        error, status = "Tick voices from the list.", 400
    except DomainError as exc:
        error, status = exc.message, refusal_status(exc, SHOWN_ON_PAGE)
    else:
        kept = sum(r.outcome is Removal.UNPUBLISHED for r in removals)
        if kept:
            return done("/admin/voices", "bulk_kept", n=len(removals) - kept, kept=kept)
        return done("/admin/voices", f"bulk_{chosen}", n=len(set(ids)))
    return await _list_page(
        platform,
        staff,
        error=error,
        status_code=status,
        ticked=ticked,
        chosen=chosen,
        tag=tag,
    )


@action("/admin/voices/{voice_id:uuid}/move")
async def admin_move_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The up and down buttons beside a voice, without scripts: the whole order is
    saved, as the drag and the keyboard save it."""
    order = [c.voice.id for c in await platform.voices.browse(staff, _EVERY_VOICE)]
    try:
        if voice_id not in order:
            raise ValidationError("No such voice.", code="voice_not_found")
        await platform.voices.reorder(
            staff,
            moved(order, voice_id, data.get("direction", "")),
            ip=client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc, SHOWN_ON_PAGE)
        return await _list_page(platform, staff, error=exc.message, status_code=status)
    return done("/admin/voices", "voice_moved")


@get("/admin/voices/{voice_id:uuid}/delete")
async def admin_confirm_delete(
    voice_id: FromPath[UUID], staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    """Are you sure? With how many generations use the voice: then it is unpublished,
    not deleted."""
    voice = await platform.voices.get(voice_id, user=staff)
    uses = await platform.voices.usage(staff, voice_id)
    return page(
        "backoffice/voices/delete.html",
        user=staff,
        voice=voice,
        uses=uses,
        uses_words=counted(uses, "generation"),
    )


@action("/admin/voices/{voice_id:uuid}/delete")
async def admin_delete_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Delete the voice, or unpublish it when generations use it; the notice says which."""
    outcome = await platform.voices.delete(staff, voice_id, ip=client_address(request, platform))
    if outcome.outcome is Removal.UNPUBLISHED:
        return done(f"/admin/voices/{voice_id}", "kept", uses=outcome.generations)
    return done("/admin/voices", "deleted")


ROUTES = (
    admin_voices,
    admin_voices_bulk,
    admin_move_voice,
    admin_confirm_delete,
    admin_delete_voice,
    *voice_pages.ROUTES,
    *sample_pages.ROUTES,
)
