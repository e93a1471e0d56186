"""The fake voice gallery store."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.voices.ports import ConvertedSample, VoiceRepository
from voiceqr.domain.playback.events import PlaybackEventKind
from voiceqr.domain.shared.errors import Conflict, ValidationError
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.voice import Voice


class FakeVoices(Table):
    def _refuse_taken_name(self, voice: Voice) -> None:
        """The unique index on (provider, lower(name))."""
        for other in self._db.voices.values():
            if (
                other.id != voice.id
                and other.provider == voice.provider
                and other.name.lower() == voice.name.lower()
            ):
                raise Conflict(f"{voice.name!r} is taken", code="voice_name_taken")

    async def add(self, voice: Voice) -> None:
        if voice.id in self._db.voices:
            raise Conflict("duplicate voice id", code="duplicate_key")
        self._refuse_taken_name(voice)
        self._db.voices[voice.id] = copy.deepcopy(voice)
        self._wrote()

    async def get(self, voice_id: UUID) -> Voice | None:
        return copy.deepcopy(self._db.voices.get(voice_id))

    async def update(self, voice: Voice) -> None:
        stored = self._db.voices.get(voice.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        self._refuse_taken_name(voice)
        updated = copy.deepcopy(voice)
        updated.created_at = stored.created_at
        updated.created_by = stored.created_by
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

    async def popularity(self, voice_ids: Sequence[UUID]) -> dict[UUID, Popularity]:
        live = {g.id: g.voice_id for g in self._db.generations.values() if not g.is_deleted}
        uses = dict.fromkeys(voice_ids, 0)
        listens = dict.fromkeys(voice_ids, 0)
        for voice_id in live.values():
            if voice_id in uses:
                uses[voice_id] += 1
        for stored in self._db.playback_events:
            voice_id = live.get(stored.event.generation_id)
            if (
                voice_id in listens
                and stored.event.kind is PlaybackEventKind.LISTEN
                and stored.counted
            ):
                listens[voice_id] += 1
        return {v: Popularity(uses=uses[v], listens=listens[v]) for v in voice_ids}


class VoicesPart(Part):
    """The voices feature's fake repositories."""

    voices: VoiceRepository

    def attach(self) -> None:
        self.voices = FakeVoices(self)
        super().attach()


class FakeSampleAudio:
    """Takes files that start with `AUDIO` (their duration in ms follows, "AUDIO:2500:"),
    and the fake speech's MP3s; refuses anything else as the real checker would.

    `MP3 ...` comes back as given; anything else taken comes back as `b"ID3" + data`
    (converted); `calls` lists the file names seen.
    """

    max_bytes = 1000
    min_seconds = 1.0
    max_seconds = 60.0

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def inspect_and_convert(self, data: bytes, filename: str) -> ConvertedSample:
        self.calls.append(filename)
        if not data:
            raise ValidationError("empty", code="sample_empty")
        if len(data) > self.max_bytes:
            raise ValidationError("too large", code="sample_too_large")
        if data.startswith(b"ID3"):  # what FakeSpeech says
            return ConvertedSample(mp3=data, duration_ms=1500)
        if not data.startswith(b"AUDIO:"):
            raise ValidationError(f"{filename} is not audio", code="sample_not_audio")
        duration_ms = int(data.split(b":")[1])
        if duration_ms > self.max_seconds * 1000:
            raise ValidationError("too long", code="sample_too_long")
        if duration_ms < self.min_seconds * 1000:
            raise ValidationError("too short", code="sample_too_short")
        return ConvertedSample(mp3=b"ID3" + data, duration_ms=duration_ms)


def audio(duration_ms: int = 2500, tag: str = "") -> bytes:
    """A file FakeSampleAudio takes."""
    return f"AUDIO:{duration_ms}:{tag}".encode()
