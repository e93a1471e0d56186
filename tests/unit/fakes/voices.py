"""The fake voice gallery store."""

from __future__ import annotations

import copy
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.shared.errors import (
    Conflict,
)
from voiceqr.domain.voices.voice import Voice


class FakeVoices(Table):
    async def add(self, voice: Voice) -> None:
        if voice.id in self._db.voices:
            raise Conflict("duplicate voice id", code="duplicate_key")
        self._db.voices[voice.id] = copy.deepcopy(voice)
        self._wrote()

    async def get(self, voice_id: UUID) -> Voice | None:
        return copy.deepcopy(self._db.voices.get(voice_id))

    async def update(self, voice: Voice) -> None:
        stored = self._db.voices.get(voice.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        updated = copy.deepcopy(voice)
        updated.created_at = stored.created_at
        self._db.voices[voice.id] = updated
        self._wrote()

    async def delete(self, voice_id: UUID) -> None:
        if self._db.voices.pop(voice_id, None) is not None:
            self._wrote()

    async def list(self, *, published_only: bool) -> list[Voice]:
        voices = [v for v in self._db.voices.values() if v.published or not published_only]
        voices.sort(key=lambda v: (-v.priority, v.name))
        return copy.deepcopy(voices)

    async def count(self) -> int:
        return len(self._db.voices)


class VoicesPart(Part):
    """The voices feature's fake repositories."""

    voices: VoiceRepository

    def attach(self) -> None:
        self.voices = FakeVoices(self)
        super().attach()
