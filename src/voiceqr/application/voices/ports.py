"""What the voice gallery needs: its repository and the unit of work holding it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.voice import Voice


class VoiceRepository(Protocol):
    async def add(self, voice: Voice) -> None:
        """Raises Conflict (`voice_name_taken`) when the provider has a voice of that name
        in any case."""
        ...

    async def get(self, voice_id: UUID) -> Voice | None: ...

    async def update(self, voice: Voice) -> None:
        """Raises Conflict (`voice_name_taken`) as `add` does."""
        ...

    async def delete(self, voice_id: UUID) -> None: ...

    async def list(self, *, published_only: bool) -> list[Voice]:
        """Voices by display priority (highest first), then name."""
        ...

    async def count(self) -> int: ...

    async def popularity(self, voice_ids: Sequence[UUID]) -> dict[UUID, Popularity]:
        """For each voice: its generations (deleted ones left out) and the listens of
        their codes, counted as the owners' dashboards count them (people other than the
        owner, bots left out). Every id asked for is in the answer."""
        ...


class VoicesUnitOfWork(AuditedUnitOfWork, Protocol):
    """The gallery, and the audit log its admin changes are recorded in."""

    voices: VoiceRepository
