"""The voice gallery (C1): listing for users, management for admins, default seeding."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AudioStorage, SpeechSynthesizer
from voiceqr.application.voices.ports import VoicesUnitOfWork
from voiceqr.domain.authz import Actor, Permission, can, require
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample

log = logging.getLogger(__name__)

SAMPLE_TEXT = "Hello! Scan the code and listen: this is how I sound."

EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "type",
        "language",
        "region",
        "age",
        "style",
        "provider",
        "provider_voice_id",
        "published",
        "priority",
        "samples",
    }
)


@dataclass(frozen=True, slots=True)
class VoiceSpec:
    """The fields of a voice an admin types (or a seed list holds)."""

    name: str
    provider_voice_id: str
    provider: str = "espeak"
    description: str = ""
    type: str = ""
    language: str = ""
    region: str = ""
    age: str = ""
    style: str = ""
    published: bool = True
    priority: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceGallery:
    uow: Callable[[], VoicesUnitOfWork]
    storage: AudioStorage
    speech: Mapping[str, SpeechSynthesizer]
    clock: Callable[[], datetime]

    async def list_for(self, user: Actor | None) -> list[Voice]:
        """Published voices whose provider runs here (None: a visitor); those who manage
        voices see every voice."""
        everything = user is not None and can(user, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voices = await uow.voices.list(published_only=not everything)
        return voices if everything else [v for v in voices if v.provider in self.speech]

    async def list_all(self, actor: Actor, *, published_only: bool = False) -> list[Voice]:
        """Every voice (or every published one), whether or not its provider runs here:
        the gallery as those who manage it see it."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            return await uow.voices.list(published_only=published_only)

    async def get(self, voice_id: UUID, *, user: Actor | None = None) -> Voice:
        async with self.uow() as uow:
            voice = await uow.voices.get(voice_id)
        hidden_from_user = user is None or not can(user, Permission.MANAGE_VOICES)
        if voice is None or (not voice.published and hidden_from_user):
            raise _no_such_voice()
        return voice

    async def sample_urls(self, voice: Voice) -> list[str]:
        return [await self.storage.url(sample.key) for sample in voice.samples]

    async def create(self, actor: Actor, spec: VoiceSpec, *, ip: str = "") -> Voice:
        """Add a voice (voice managers); the audit log records it with the voice."""
        require(actor, Permission.MANAGE_VOICES)
        now = self.clock()
        voice = Voice(id=uuid7(), created_at=now, updated_at=now, **_spec_fields(spec))
        self._check_provider(voice.provider)
        async with self.uow() as uow:
            await uow.voices.add(voice)
            await record(
                uow,
                actor,
                "voice.create",
                target=("voice", voice.id),
                now=now,
                ip=ip,
                details={"name": voice.name, "published": voice.published},
            )
            await uow.commit()
        return voice

    async def update(
        self, actor: Actor, voice_id: UUID, changes: Mapping[str, Any], *, ip: str = ""
    ) -> Voice:
        """Change some fields of a voice (voice managers); the audit log names the fields."""
        require(actor, Permission.MANAGE_VOICES)
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise ValidationError(
                f"Unknown voice fields: {', '.join(sorted(unknown))}.", code="unknown_field"
            )
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            now = self.clock()
            updated = replace(voice, **changes, updated_at=now)
            if "provider" in changes:
                self._check_provider(updated.provider)
            await uow.voices.update(updated)
            await record(
                uow,
                actor,
                "voice.update",
                target=("voice", voice_id),
                now=now,
                ip=ip,
                details={"fields": sorted(changes)},
            )
            await uow.commit()
        return updated

    async def delete(self, actor: Actor, voice_id: UUID, *, ip: str = "") -> None:
        """Remove a voice and its samples (voice managers); the audit log keeps its name."""
        require(actor, Permission.MANAGE_VOICES)
        async with self.uow() as uow:
            voice = await _existing(uow, voice_id)
            await uow.voices.delete(voice_id)
            await record(
                uow,
                actor,
                "voice.delete",
                target=("voice", voice_id),
                now=self.clock(),
                ip=ip,
                details={"name": voice.name},
            )
            await uow.commit()
        for sample in voice.samples:
            await self.storage.delete(sample.key)

    async def seed(self, specs: Sequence[VoiceSpec]) -> int:
        """Add the default gallery when it is empty, each voice with a spoken sample."""
        async with self.uow() as uow:
            if await uow.voices.count():
                return 0
        now = self.clock()
        voices: list[Voice] = []
        for spec in specs:
            voice = Voice(id=uuid7(), created_at=now, updated_at=now, **_spec_fields(spec))
            synthesizer = self.speech.get(voice.provider)
            if synthesizer is not None:
                sample = await synthesizer.synthesize(SAMPLE_TEXT, voice)
                key = f"samples/{voice.id}/1.mp3"
                await self.storage.put(key, sample.audio, sample.content_type)
                voice.samples = [VoiceSample(id=uuid7(), key=key, label="Sample")]
            voices.append(voice)
        async with self.uow() as uow:
            if await uow.voices.count():
                return 0  # another process seeded first
            for voice in voices:
                await uow.voices.add(voice)
            await uow.commit()
        log.info("seeded the default voice gallery", extra={"voices": len(voices)})
        return len(voices)

    def _check_provider(self, provider: str) -> None:
        if provider not in self.speech:
            known = ", ".join(sorted(self.speech)) or "none"
            raise ValidationError(
                f"Speech provider '{provider}' is not configured here (configured: {known}).",
                code="unknown_provider",
            )


def _spec_fields(spec: VoiceSpec) -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in fields(spec)}


async def _existing(uow: VoicesUnitOfWork, voice_id: UUID) -> Voice:
    voice = await uow.voices.get(voice_id)
    if voice is None:
        raise _no_such_voice()
    return voice


def _no_such_voice() -> NotFound:
    return NotFound("No such voice.", code="voice_not_found")
