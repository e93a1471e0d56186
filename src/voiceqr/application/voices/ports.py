"""What the voice gallery needs: its repository, the unit of work holding it, and the
checker of uploaded samples."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import AuditedUnitOfWork, HistoryPosition
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.reviews import ListedReview, RatingSummary, VoiceReview
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


# --- favorites, ratings and reviews --------------------------------------------------


class VoiceFavoriteRepository(Protocol):
    """The voices each person starred, one row per (person, voice)."""

    async def add(self, user_id: UUID, voice_id: UUID, *, at: datetime) -> bool:
        """Star the voice; False when it was starred already (nothing changes)."""
        ...

    async def remove(self, user_id: UUID, voice_id: UUID) -> bool:
        """Unstar the voice; False when it was not starred."""
        ...

    async def voice_ids(self, user_id: UUID) -> list[UUID]:
        """The voices the person starred, the most recently starred first."""
        ...


class VoiceReviewRepository(Protocol):
    """Reviews of voices: one per (person, voice), found by their author or their voice."""

    async def add(self, review: VoiceReview) -> None:
        """Conflict (`review_exists`) when the author has a review of the voice already."""
        ...

    async def update(self, review: VoiceReview) -> None:
        """Save the rating, text, `updated_at` and hiding of a stored review."""
        ...

    async def get_own(self, user_id: UUID, voice_id: UUID) -> VoiceReview | None:
        """The person's own review of the voice: another person's is never returned."""
        ...

    async def get_of_voice(self, review_id: UUID, voice_id: UUID) -> ListedReview | None:
        """A review of this voice by its id, with its author's name (staff moderation);
        None for another voice's."""
        ...

    async def list_for_voice(
        self,
        voice_id: UUID,
        *,
        include_hidden: bool,
        limit: int,
        after: HistoryPosition | None = None,
    ) -> list[ListedReview]:
        """The voice's reviews newest first (by when they were first written), each with its
        author's name, strictly after `after`."""
        ...

    async def ratings(self, voice_ids: Collection[UUID]) -> dict[UUID, RatingSummary]:
        """The mean rating and count of the visible reviews of each voice, in one grouped
        query; a voice without any is left out."""
        ...


class VoiceUse(Protocol):
    """Whether someone has used a voice: only they may review it."""

    async def completed_with(self, user_id: UUID, voice_id: UUID) -> bool:
        """Whether audio of a generation of this person's was ever made with this voice (any
        revision, also of a generation deleted since)."""
        ...


class VoiceEngagementUnitOfWork(VoicesUnitOfWork, Protocol):
    """The gallery with favorites, reviews and voice use, and the audit log moderation is
    recorded in."""

    voice_favorites: VoiceFavoriteRepository
    voice_reviews: VoiceReviewRepository
    voice_use: VoiceUse


# --- uploaded samples ------------------------------------------------------------------


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
