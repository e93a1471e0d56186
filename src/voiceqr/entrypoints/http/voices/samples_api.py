"""A voice's samples in the JSON API (administrators): upload files, have the voice speak
one, relabel, reorder and delete them.

Uploads are `multipart/form-data` with one or more `files` fields; the route refuses a
body over its size limit (413) before reading it all, and the use case checks each file
(a real MP3, WAV or Ogg, 1 to 60 seconds) before storing any.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Router, delete, patch, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body as BodyParam
from litestar.params import FromPath, JSONBody

from voiceqr.application.voices.samples import MAX_FILES_PER_UPLOAD, UploadedFile
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission
from voiceqr.domain.voices.samples import MAX_SAMPLE_BYTES, MAX_SAMPLES_PER_VOICE
from voiceqr.domain.voices.voice import Voice, VoiceSample
from voiceqr.entrypoints.http.kit.api_requests import ACCEPTS_FILES
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, client_address, staff
from voiceqr.entrypoints.http.kit.schemas import Body, Short, multi_line

# Every file at its largest, plus room for the form's boundaries and headers.
MAX_UPLOAD_BODY = MAX_FILES_PER_UPLOAD * MAX_SAMPLE_BYTES + 64 * 1024


class VoiceSampleOut(msgspec.Struct):
    id: UUID
    label: str
    url: str
    duration_ms: int


class SpokenSampleIn(Body):
    """What the voice says for a sample of itself (at most 300 characters)."""

    text: Annotated[str, multi_line(1000)]
    label: Short = "Spoken sample"


class SampleOrderIn(Body):
    """Every sample id of the voice, once each, in the new order."""

    ids: Annotated[list[UUID], msgspec.Meta(max_length=MAX_SAMPLES_PER_VOICE)]


class SampleLabelIn(Body):
    label: Short


@dataclass
class SampleFilesIn:
    """One or more audio files (MP3, WAV or Ogg), each sent as a `files` field; a form
    without any is well-formed, and refused by the use case (422 `no_sample_files`)."""

    files: list[UploadFile] = field(default_factory=list)


async def samples_out(
    platform: Platform, voice: Voice, samples: list[VoiceSample] | None = None
) -> list[VoiceSampleOut]:
    """The samples (of `voice`, or the given ones of it) with the address each plays from."""
    chosen = voice.samples if samples is None else samples
    urls = await platform.voices.sample_urls(replace(voice, samples=chosen))
    return [
        VoiceSampleOut(id=s.id, label=s.label, url=url, duration_ms=s.duration_ms)
        for s, url in zip(chosen, urls, strict=True)
    ]


_STAFF = {"staff": staff(Permission.MANAGE_VOICES)}


class VoiceSampleController(Controller):
    path = "/voices/{voice_id:uuid}/samples"
    tags = ["voices"]
    dependencies = _STAFF
    opt = api_key_scopes(POST=Scope.ADMIN, PUT=Scope.ADMIN, PATCH=Scope.ADMIN, DELETE=Scope.ADMIN)

    @post(
        "/",
        opt={ACCEPTS_FILES: True},
        request_max_body_size=MAX_UPLOAD_BODY,
        summary="Upload samples",
    )
    async def upload_samples(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: Annotated[SampleFilesIn, BodyParam(media_type=RequestEncodingType.MULTI_PART)],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> list[VoiceSampleOut]:
        """Add audio files as samples of the voice (MP3, WAV or Ogg, 1 to 60 seconds, at
        most 10 MB and 5 files at once; WAV and Ogg are converted to MP3). All of them
        are added, or none: 422 names the file refused and why, 413 a body too large."""
        files = []
        for upload in data.files:
            files.append(UploadedFile(upload.filename, await upload.read()))
            await upload.close()
        added = await platform.voice_samples.add_uploaded(
            staff, voice_id, files, ip=client_address(request, platform)
        )
        return await samples_out(platform, await platform.voices.get(voice_id, user=staff), added)

    @post("/spoken", summary="Have the voice speak a sample")
    async def speak_sample(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: JSONBody[SpokenSampleIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceSampleOut:
        """The voice says `text` (at most 300 characters) and that becomes its last sample."""
        sample = await platform.voice_samples.speak(
            staff, voice_id, data.text, label=data.label, ip=client_address(request, platform)
        )
        voice = await platform.voices.get(voice_id, user=staff)
        [out] = await samples_out(platform, voice, [sample])
        return out

    @put("/order", summary="Reorder samples")
    async def reorder_samples(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: JSONBody[SampleOrderIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> list[VoiceSampleOut]:
        """Put the samples in this order (each sample of the voice exactly once)."""
        ordered = await platform.voice_samples.reorder(
            staff, voice_id, data.ids, ip=client_address(request, platform)
        )
        return await samples_out(platform, await platform.voices.get(voice_id, user=staff), ordered)

    @patch("/{sample_id:uuid}", summary="Relabel a sample")
    async def relabel_sample(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        sample_id: FromPath[UUID],
        data: JSONBody[SampleLabelIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceSampleOut:
        sample = await platform.voice_samples.relabel(
            staff, voice_id, sample_id, data.label, ip=client_address(request, platform)
        )
        voice = await platform.voices.get(voice_id, user=staff)
        [out] = await samples_out(platform, voice, [sample])
        return out

    @delete("/{sample_id:uuid}", summary="Delete a sample")
    async def delete_sample(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        sample_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> None:
        """Remove the sample and its audio (a published voice keeps its last one: 409)."""
        await platform.voice_samples.delete(
            staff, voice_id, sample_id, ip=client_address(request, platform)
        )


api_router = Router(path="/", route_handlers=[VoiceSampleController])
