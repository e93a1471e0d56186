"""The revisions of a generation (G3): every text and voice it was ever made with.

Revision 1 is the original request; each edit adds the next number. A revision's
audio stays in storage (playable by its owner) until the generation is deleted,
and every revision stores its audio under its own key, so making a new version
never overwrites the audio a printed code is playing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.errors import IllegalTransition


@dataclass(slots=True)
class GenerationRevision:
    """What one revision asked for, and its audio once made."""

    id: UUID
    generation_id: UUID
    number: int
    text: str
    voice_id: UUID
    created_at: datetime
    completed_at: datetime | None = None
    audio_key: str | None = None
    audio_bytes: int | None = None

    def complete(self, *, audio_key: str, audio_bytes: int, now: datetime) -> None:
        if self.completed_at is not None:
            raise IllegalTransition(f"Revision {self.number} has its audio already.")
        self.audio_key = audio_key
        self.audio_bytes = audio_bytes
        self.completed_at = now

    def forget_audio(self) -> None:
        """The generation was deleted and the audio object with it."""
        self.audio_key = None


def revision_status(revision: GenerationRevision, generation: Generation) -> GenerationStatus:
    """The current revision is wherever the generation's job is; an earlier one is over.

    An edit is only allowed once the job has finished, so an earlier revision either
    completed (it has audio) or failed for good.
    """
    if revision.number == generation.revision:
        return generation.status
    if revision.completed_at is not None:
        return GenerationStatus.COMPLETED
    return GenerationStatus.FAILED
