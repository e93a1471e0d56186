"""What the voice gallery needs: its repository, the unit of work holding it, and the
checker of uploaded samples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.voices.voice import Voice


class VoiceRepository(Protocol):
    async def add(self, voice: Voice) -> None: ...

    async def get(self, voice_id: UUID) -> Voice | None: ...

    async def update(self, voice: Voice) -> None: ...

    async def delete(self, voice_id: UUID) -> None: ...

    async def list(self, *, published_only: bool) -> list[Voice]:
        """Voices by display priority (highest first), then name."""
        ...

    async def count(self) -> int: ...


class VoicesUnitOfWork(AuditedUnitOfWork, Protocol):
    """The gallery, and the audit log its admin changes are recorded in."""

    voices: VoiceRepository


@dataclass(frozen=True, slots=True)
class ConvertedSample:
    """An uploaded sample as the gallery stores it: MP3, and how long it plays."""

    mp3: bytes
    duration_ms: int


class SampleAudio(Protocol):
    """Checks that an uploaded file is a voice sample the gallery takes, and makes it MP3.

    Takes MP3, WAV and Ogg, recognised by their content (never by the file name, which
    only makes messages clearer); MP3 is kept as it was once it decodes, WAV and Ogg are
    converted. Raises `ValidationError` with a code naming the refusal:
    `sample_empty`, `sample_too_large`, `sample_not_audio` (not a format taken),
    `sample_unreadable` (looks like audio but does not decode), `sample_too_short`,
    `sample_too_long`.
    """

    @property
    def max_bytes(self) -> int:
        """The largest file taken."""
        ...

    @property
    def min_seconds(self) -> float: ...

    @property
    def max_seconds(self) -> float: ...

    async def inspect_and_convert(self, data: bytes, filename: str) -> ConvertedSample: ...
