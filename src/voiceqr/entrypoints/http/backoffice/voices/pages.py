"""The voice gallery's staff pages: every voice in a table (samples playable in place,
bulk actions on ticked voices, the display order by drag or keyboard), a voice's form,
its samples (drag-and-drop upload with a plain file input beneath, reorder, delete), and
the delete confirmation.

Server-rendered forms that post and redirect (303) back; a refused form shows the page
again with the reason and the status of its category. Scripts only add to the forms:
dropping files fills the file input and posts the same form, and the order is saved
through the JSON API (`PUT .../order`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.application.voices.samples import UploadedFile
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, ValidationError
from voiceqr.domain.voices.voice import Voice
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status
from voiceqr.entrypoints.http.voices.samples_api import MAX_UPLOAD_BODY, samples_out

# What a finished action says on the page it comes back to (`?done=`).
NOTICES = {
    "created": "Voice added. Give it a sample, then publish it.",
    "saved": "Changes saved.",
    "published": "Published: users can pick this voice.",
    "unpublished": "Unpublished: users no longer see this voice.",
    "uploaded": "Samples added.",
    "spoken": "The voice spoke a new sample.",
    "sample_deleted": "Sample deleted.",
    "sample_moved": "Sample order saved.",
    "deleted": "Voice deleted.",
    "bulk": "Done for the ticked voices.",
}
# Refusals shown on the page next to the form; anything else is the error page.
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.PROVIDER)
_TEXT_FIELDS = ("name", "provider_voice_id", "description", "type", "language", "region")
_MORE_TEXT_FIELDS = ("age", "style")
BULK_ACTIONS = ("publish", "unpublish", "delete")


def _done(path: str, done: str) -> Response[Any]:
    return Redirect(f"{path}?done={done}", status_code=303)


def _action(path: str, **kwargs: Any) -> post:
    """A form's POST, answered with a redirect (303) back to a page."""
    return post(path, status_code=303, **kwargs)


async def _list_page(
    platform: Platform,
    staff: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    voices = await platform.voices.list_all(staff)
    return page(
        "backoffice/voices/list.html",
        status_code,
        user=staff,
        voices=voices,
        samples={v.id: await samples_out(platform, v) for v in voices},
        providers=sorted({v.provider for v in voices}),
        bulk_actions=BULK_ACTIONS,
        notice=notice,
        error=error,
    )


@get("/admin/voices")
async def admin_voices(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    """Every voice, published or not, in display order."""
    return await _list_page(platform, staff, notice=NOTICES.get(done))


@_action("/admin/voices/bulk")
async def admin_voices_bulk(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Publish, unpublish or delete every ticked voice; stops at the first refusal and
    says which voice refused and why (the ones before it are done)."""
    form = await request.form()
    action = str(form.get("action", ""))
    try:
        ids = [UUID(str(value)) for value in form.getall("ids", [])]
        if not ids:
            raise ValidationError("Tick the voices to change first.", code="nothing_ticked")
        if action not in BULK_ACTIONS:
            raise ValidationError("Pick what to do with the ticked voices.", code="unknown_action")
        ip = client_address(request, platform)
        for voice_id in ids:
            await _bulk_one(platform, staff, voice_id, action, ip)
    except ValueError:
        return await _list_page(
            platform, staff, error="Tick voices from the list.", status_code=400
        )
    except DomainError as exc:
        return await _list_page(
            platform, staff, error=exc.message, status_code=refusal_status(exc, _SHOWN_ON_PAGE)
        )
    return _done("/admin/voices", "bulk")


async def _bulk_one(platform: Platform, staff: User, voice_id: UUID, action: str, ip: str) -> None:
    # needs wt-catalogue: VoiceGallery's batch use case (one transaction, tags) replaces
    # this loop over the single-voice use cases at merge.
    if action == "delete":
        await platform.voices.delete(staff, voice_id, ip=ip)
    else:
        await platform.voices.update(staff, voice_id, {"published": action == "publish"}, ip=ip)


def _form_values(voice: Voice | None, typed: dict[str, str] | None = None) -> dict[str, str]:
    if typed is not None:
        return typed
    if voice is None:
        return {"provider": "espeak", "priority": "0"}
    values = {name: str(getattr(voice, name)) for name in (*_TEXT_FIELDS, *_MORE_TEXT_FIELDS)}
    return {**values, "provider": voice.provider, "priority": str(voice.priority)}


async def _voice_page(
    platform: Platform,
    staff: User,
    voice: Voice | None,
    *,
    typed: dict[str, str] | None = None,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    """A voice's form and, once it exists, its samples and publishing."""
    return page(
        "backoffice/voices/voice.html",
        status_code,
        user=staff,
        voice=voice,
        form=_form_values(voice, typed),
        form_open=typed is not None,
        samples=[] if voice is None else await samples_out(platform, voice),
        providers=sorted(platform.voices.speech),
        max_upload_mb=MAX_UPLOAD_BODY // (1024 * 1024),
        notice=notice,
        error=error,
    )


@get("/admin/voices/new")
async def admin_new_voice(
    staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    return await _voice_page(platform, staff, None)


def _spec(data: dict[str, str]) -> VoiceSpec:
    try:
        priority = int(data.get("priority", "0") or 0)
    except ValueError:
        raise ValidationError("The priority is a whole number.", code="priority_invalid") from None
    typed: dict[str, Any] = {
        name: data.get(name, "").strip() for name in (*_TEXT_FIELDS, *_MORE_TEXT_FIELDS)
    }
    return VoiceSpec(
        **typed,
        provider=data.get("provider", "espeak"),
        priority=priority,
        published=False,  # published from its page, once it has a sample
    )


@_action("/admin/voices/new")
async def admin_create_voice(
    request: Request[Any, Any, Any],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        voice = await platform.voices.create(
            staff, _spec(data), ip=client_address(request, platform)
        )
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _voice_page(
            platform, staff, None, typed=data, error=exc.message, status_code=status
        )
    return _done(f"/admin/voices/{voice.id}", "created")


@get("/admin/voices/{voice_id:uuid}")
async def admin_voice(
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
) -> Template:
    voice = await platform.voices.get(voice_id, user=staff)
    return await _voice_page(platform, staff, voice, notice=NOTICES.get(done))


async def _act(
    request: Request[Any, Any, Any],
    platform: Platform,
    staff: User,
    voice_id: UUID,
    action: Callable[[str], Awaitable[object]],
    *,
    done: str,
    typed: dict[str, str] | None = None,
) -> Response[Any]:
    """Run one of a voice page's actions with the client's address (for the audit log):
    back to the page with a notice, or the page again with the refusal."""
    try:
        await action(client_address(request, platform))
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        voice = await platform.voices.get(voice_id, user=staff)
        return await _voice_page(
            platform, staff, voice, typed=typed, error=exc.message, status_code=status
        )
    return _done(f"/admin/voices/{voice_id}", done)


@_action("/admin/voices/{voice_id:uuid}")
async def admin_save_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    async def save(ip: str) -> object:
        spec = _spec(data)
        changes = {name: getattr(spec, name) for name in (*_TEXT_FIELDS, *_MORE_TEXT_FIELDS)}
        changes.update(provider=spec.provider, priority=spec.priority)
        return await platform.voices.update(staff, voice_id, changes, ip=ip)

    return await _act(request, platform, staff, voice_id, save, done="saved", typed=data)


def _publishing(published: bool) -> Any:
    path = f"/admin/voices/{{voice_id:uuid}}/{'publish' if published else 'unpublish'}"

    @_action(path)
    async def press(
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        staff: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[Any]:
        # needs wt-catalogue: the publish guard (a sample, and a provider voice id the
        # provider accepts) lives in the catalogue's use case; its refusal shows here.
        async def change(ip: str) -> object:
            return await platform.voices.update(staff, voice_id, {"published": published}, ip=ip)

        done = "published" if published else "unpublished"
        return await _act(request, platform, staff, voice_id, change, done=done)

    return press


admin_publish_voice = _publishing(True)
admin_unpublish_voice = _publishing(False)


async def _uploaded(request: Request[Any, Any, Any]) -> list[UploadedFile]:
    form = await request.form()
    files: list[UploadedFile] = []
    for value in form.getall("files", []):
        if isinstance(value, UploadFile):
            data = await value.read()
            await value.close()
            if value.filename or data:  # an empty file input sends one nameless, empty part
                files.append(UploadedFile(value.filename, data))
    return files


@_action("/admin/voices/{voice_id:uuid}/samples", request_max_body_size=MAX_UPLOAD_BODY)
async def admin_upload_samples(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The upload form (the drop area posts it too): every file, or none."""
    files = await _uploaded(request)

    async def add(ip: str) -> object:
        return await platform.voice_samples.add_uploaded(staff, voice_id, files, ip=ip)

    return await _act(request, platform, staff, voice_id, add, done="uploaded")


@_action("/admin/voices/{voice_id:uuid}/samples/spoken")
async def admin_speak_sample(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    async def speak(ip: str) -> object:
        return await platform.voice_samples.speak(
            staff, voice_id, data.get("text", ""), label=data.get("label") or "Spoken sample", ip=ip
        )

    return await _act(request, platform, staff, voice_id, speak, done="spoken")


@_action("/admin/voices/{voice_id:uuid}/samples/{sample_id:uuid}/delete")
async def admin_delete_sample(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    sample_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    async def remove(ip: str) -> object:
        await platform.voice_samples.delete(staff, voice_id, sample_id, ip=ip)
        return None

    return await _act(request, platform, staff, voice_id, remove, done="sample_deleted")


def moved(ids: Sequence[UUID], moving: UUID, direction: str) -> list[UUID]:
    """`ids` with `moving` one place up or down (unchanged at either end)."""
    order = list(ids)
    at = order.index(moving)
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


@_action("/admin/voices/{voice_id:uuid}/samples/{sample_id:uuid}/move")
async def admin_move_sample(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    sample_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """The up and down buttons beside a sample, without scripts."""

    async def move(ip: str) -> object:
        voice = await platform.voices.get(voice_id, user=staff)
        ids = [s.id for s in voice.samples]
        if sample_id not in ids:
            raise ValidationError("This voice has no such sample.", code="sample_not_found")
        order = moved(ids, sample_id, data.get("direction", ""))
        return await platform.voice_samples.reorder(staff, voice_id, order, ip=ip)

    return await _act(request, platform, staff, voice_id, move, done="sample_moved")


@get("/admin/voices/{voice_id:uuid}/delete")
async def admin_confirm_delete(
    voice_id: FromPath[UUID], staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    """Are you sure? With how many generations use the voice, once that is counted."""
    voice = await platform.voices.get(voice_id, user=staff)
    # needs wt-catalogue: the voice's `uses` (generations made with it); until then the
    # page does not guess a number.
    uses: int | None = None
    return page("backoffice/voices/delete.html", user=staff, voice=voice, uses=uses)


@_action("/admin/voices/{voice_id:uuid}/delete")
async def admin_delete_voice(
    request: Request[Any, Any, Any],
    voice_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    await platform.voices.delete(staff, voice_id, ip=client_address(request, platform))
    return _done("/admin/voices", "deleted")


ROUTES = (
    admin_voices,
    admin_voices_bulk,
    admin_new_voice,
    admin_create_voice,
    admin_voice,
    admin_save_voice,
    admin_publish_voice,
    admin_unpublish_voice,
    admin_upload_samples,
    admin_speak_sample,
    admin_delete_sample,
    admin_move_sample,
    admin_confirm_delete,
    admin_delete_voice,
)
