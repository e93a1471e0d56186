"""What the voice gallery needs: its repository and the unit of work holding it."""

from __future__ import annotations

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
