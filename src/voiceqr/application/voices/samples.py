"""A voice's samples, managed by staff: uploaded, spoken by the voice itself, relabelled,
reordered and deleted.

Each upload is checked and converted (`SampleAudio`) before anything is stored, and an
upload of several files is all or nothing: the objects put in the audio store are removed
again when a later file, the store or the database refuses. The audio store is never
written inside a unit of work (it can be slow), so a sample's object is stored first and
named in the voice after; a deleted sample's object goes once the voice no longer names it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AudioStorage, SpeechSynthesizer
from voiceqr.application.voices.ports import ConvertedSample, SampleAudio, VoicesUnitOfWork
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.shared.errors import Conflict, NotFound, StorageError, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.samples import (
    check_room,
    clean_label,
    clean_sample_text,
    find_sample,
    label_from_filename,
    reordered,
    sample_key,
)
from voiceqr.domain.voices.voice import Voice, VoiceSample

log = logging.getLogger(__name__)

MAX_FILES_PER_UPLOAD = 5
SPOKEN_LABEL = "Spoken sample"


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file as a form or the CLI sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceSamples:
    """The samples of a voice, for those who manage voices (every action audited)."""

    uow: Callable[[], VoicesUnitOfWork]
    storage: AudioStorage
    speech: Mapping[str, SpeechSynthesizer]
    audio: SampleAudio
    clock: Callable[[], datetime]

    async def add_uploaded(
        self, actor: Actor, voice_id: UUID, files: Sequence[UploadedFile], *, ip: str = ""
    ) -> list[VoiceSample]:
        """Check, convert and store uploaded files as new samples, after the existing
        ones; all of them or, when any is refused, none."""
        require(actor, Permission.MANAGE_VOICES)
        if not files:
            raise ValidationError("Choose at least one audio file.", code="no_sample_files")
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise ValidationError(
                f"Upload at most {MAX_FILES_PER_UPLOAD} files at once.", code="too_many_files"
            )
        voice = await self._voice(voice_id)
        check_room(len(voice.samples), len(files))
        converted = [await self.audio.inspect_and_convert(f.data, f.filename) for f in files]
        labels = [label_from_filename(f.filename) for f in files]
        return await self._store_and_add(
            actor, voice_id, list(zip(converted, labels, strict=True)), how="uploaded", ip=ip
        )

    async def speak(
        self,
        actor: Actor,
        voice_id: UUID,
        text: str,
        *,
        label: str = SPOKEN_LABEL,
        ip: str = "",
    ) -> VoiceSample:
        """A sample made by the voice itself saying `text`, after the existing ones."""
        require(actor, Permission.MANAGE_VOICES)
        text, label = clean_sample_text(text), clean_label(label)
        voice = await self._voice(voice_id)
        check_room(len(voice.samples), 1)
        synthesizer = self.speech.get(voice.provider)
        if synthesizer is None:
            raise ValidationError(
                f"Speech provider '{voice.provider}' is not configured here, so this voice "
                "cannot speak a sample; upload one instead.",
                code="unknown_provider",
            )
        spoken = await synthesizer.synthesize(text, voice)
        converted = await self.audio.inspect_and_convert(spoken.audio, f"{voice.name}.mp3")
        [sample] = await self._store_and_add(
            actor, voice_id, [(converted, label)], how="spoken", ip=ip
        )
        return sample

    async def relabel(
        self, actor: Actor, voice_id: UUID, sample_id: UUID, label: str, *, ip: str = ""
    ) -> VoiceSample:
        require(actor, Permission.MANAGE_VOICES)
        label = clean_label(label)
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            sample = find_sample(voice.samples, sample_id)
            renamed = replace(sample, label=label)
            voice.samples = [renamed if s.id == sample_id else s for s in voice.samples]
            await self._save(
                uow,
                actor,
                voice,
                "voice.sample.relabel",
                ip,
                {
                    "sample_id": str(sample_id),
                    "from": sample.label,
                    "to": label,
                },
            )
        return renamed

    async def reorder(
        self, actor: Actor, voice_id: UUID, sample_ids: Sequence[UUID], *, ip: str = ""
    ) -> list[VoiceSample]:
        """Put the samples in the order of `sample_ids` (each sample exactly once)."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            voice.samples = reordered(voice.samples, sample_ids)
            await self._save(
                uow,
                actor,
                voice,
                "voice.sample.reorder",
                ip,
                {
                    "order": [str(i) for i in sample_ids],
                },
            )
        return voice.samples

    async def delete(self, actor: Actor, voice_id: UUID, sample_id: UUID, *, ip: str = "") -> None:
        """Remove a sample and its audio. A published voice keeps at least one sample."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            sample = find_sample(voice.samples, sample_id)
            if voice.published and len(voice.samples) == 1:
                raise Conflict(
                    "A published voice keeps at least one sample: unpublish it first, "
                    "or add another sample.",
                    code="last_sample_of_published_voice",
                )
            voice.samples = [s for s in voice.samples if s.id != sample_id]
            await self._save(
                uow,
                actor,
                voice,
                "voice.sample.delete",
                ip,
                {
                    "sample_id": str(sample_id),
                    "label": sample.label,
                },
            )
        try:
            await self.storage.delete(sample.key)
        except StorageError:  # the voice no longer names it: an orphan object, not a failure
            log.warning("could not remove a deleted sample's audio", extra={"key": sample.key})

    async def _voice(self, voice_id: UUID) -> Voice:
        async with self.uow() as uow:
            return await _existing(uow, voice_id)

    async def _store_and_add(
        self,
        actor: Actor,
        voice_id: UUID,
        made: Sequence[tuple[ConvertedSample, str]],
        *,
        how: str,
        ip: str,
    ) -> list[VoiceSample]:
        samples: list[VoiceSample] = []
        try:
            for converted, label in made:
                sample_id = uuid7()
                sample = VoiceSample(
                    id=sample_id,
                    key=sample_key(voice_id, sample_id),
                    label=label,
                    duration_ms=converted.duration_ms,
                )
                samples.append(sample)  # before the put: a put cut off half way is removed too
                await self.storage.put(sample.key, converted.mp3, "audio/mpeg")
            async with self.uow() as uow:
                voice = await _existing(uow, voice_id)  # it may have gone meanwhile
                check_room(len(voice.samples), len(samples))
                voice.samples = [*voice.samples, *samples]
                await self._save(
                    uow,
                    actor,
                    voice,
                    "voice.sample.add",
                    ip,
                    {
                        "how": how,
                        "samples": [{"id": str(s.id), "label": s.label} for s in samples],
                    },
                )
        except BaseException:
            for sample in samples:
                try:
                    await self.storage.delete(sample.key)
                except Exception:  # the first failure is the one to report
                    log.warning("could not remove a refused sample", extra={"key": sample.key})
            raise
        return samples

    async def _save(
        self,
        uow: VoicesUnitOfWork,
        actor: Actor,
        voice: Voice,
        action: str,
        ip: str,
        details: Mapping[str, object],
    ) -> None:
        now = self.clock()
        voice.updated_at = now
        await uow.voices.update(voice)
        await record(
            uow, actor, action, target=("voice", voice.id), now=now, ip=ip, details=details
        )
        await uow.commit()


async def _existing(uow: VoicesUnitOfWork, voice_id: UUID) -> Voice:
    voice = await uow.voices.get(voice_id)
    if voice is None:
        raise NotFound("No such voice.", code="voice_not_found")
    return voice
