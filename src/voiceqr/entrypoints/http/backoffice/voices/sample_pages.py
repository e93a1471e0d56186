"""A voice's samples on its staff page: the upload form (the drop area posts it too), a
sample spoken by the voice itself, and each sample moved or deleted without scripts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath

from voiceqr.application.voices.samples import UploadedFile
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.backoffice.voices.views import action, moved
from voiceqr.entrypoints.http.backoffice.voices.voice_pages import act
from voiceqr.entrypoints.http.kit.forms import Form
from voiceqr.entrypoints.http.voices.samples_api import MAX_UPLOAD_BODY


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


@action("/admin/voices/{voice_id:uuid}/samples", request_max_body_size=MAX_UPLOAD_BODY)
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

    return await act(request, platform, staff, voice_id, add, done_as="uploaded")


@action("/admin/voices/{voice_id:uuid}/samples/spoken")
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

    return await act(request, platform, staff, voice_id, speak, done_as="spoken")


@action("/admin/voices/{voice_id:uuid}/samples/{sample_id:uuid}/delete")
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

    return await act(request, platform, staff, voice_id, remove, done_as="sample_deleted")


@action("/admin/voices/{voice_id:uuid}/samples/{sample_id:uuid}/move")
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

    return await act(request, platform, staff, voice_id, move, done_as="sample_moved")


ROUTES = (admin_upload_samples, admin_speak_sample, admin_delete_sample, admin_move_sample)
