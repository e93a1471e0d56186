"""The fake stores of voice favorites and reviews, and of who has used a voice (read from
the fake generations, as the SQL one reads the generations tables)."""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.voices.ports import (
    VoiceFavoriteRepository,
    VoiceReviewRepository,
    VoiceUse,
)
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.voices.reviews import ListedReview, RatingSummary, VoiceReview, reviewer_name


class FakeVoiceFavorites(Table):
    async def add(self, user_id: UUID, voice_id: UUID, *, at: datetime) -> bool:
        if (user_id, voice_id) in self._db.voice_favorites:
            return False
        self._db.voice_favorites[(user_id, voice_id)] = at
        self._wrote()
        return True

    async def remove(self, user_id: UUID, voice_id: UUID) -> bool:
        if self._db.voice_favorites.pop((user_id, voice_id), None) is None:
            return False
        self._wrote()
        return True

    async def voice_ids(self, user_id: UUID) -> list[UUID]:
        starred = [(at, v) for (u, v), at in self._db.voice_favorites.items() if u == user_id]
        return [v for _, v in sorted(starred, reverse=True)]


class FakeVoiceReviews(Table):
    async def add(self, review: VoiceReview) -> None:
        taken = {(r.user_id, r.voice_id) for r in self._db.voice_reviews.values()}
        if review.id in self._db.voice_reviews or (review.user_id, review.voice_id) in taken:
            raise Conflict("You have reviewed this voice already.", code="review_exists")
        self._db.voice_reviews[review.id] = copy.deepcopy(review)
        self._wrote()

    async def update(self, review: VoiceReview) -> None:
        stored = self._db.voice_reviews.get(review.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        stored.rating, stored.text = review.rating, review.text
        stored.updated_at = review.updated_at
        stored.hidden_at, stored.hidden_reason = review.hidden_at, review.hidden_reason
        self._wrote()

    async def get_own(self, user_id: UUID, voice_id: UUID) -> VoiceReview | None:
        for review in self._db.voice_reviews.values():
            if review.user_id == user_id and review.voice_id == voice_id:
                return copy.deepcopy(review)
        return None

    async def get_of_voice(self, review_id: UUID, voice_id: UUID) -> ListedReview | None:
        review = self._db.voice_reviews.get(review_id)
        if review is None or review.voice_id != voice_id or review.user_id not in self._db.users:
            return None
        return self._listed(review)

    async def list_for_voice(
        self,
        voice_id: UUID,
        *,
        include_hidden: bool,
        limit: int,
        after: HistoryPosition | None = None,
    ) -> list[ListedReview]:
        found = [
            r
            for r in self._db.voice_reviews.values()
            if r.voice_id == voice_id
            and (include_hidden or not r.is_hidden)
            and r.user_id in self._db.users  # the SQL store joins the author
            and (after is None or (r.created_at, r.id) < (after.created_at, after.id))
        ]
        found.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return [self._listed(r) for r in found[:limit]]

    def _listed(self, review: VoiceReview) -> ListedReview:
        author = self._db.users[review.user_id]
        return ListedReview(review=copy.deepcopy(review), reviewer=reviewer_name(author.name))

    async def ratings(self, voice_ids: Collection[UUID]) -> dict[UUID, RatingSummary]:
        ratings: dict[UUID, list[int]] = {}
        for review in self._db.voice_reviews.values():
            if review.voice_id in voice_ids and not review.is_hidden:
                ratings.setdefault(review.voice_id, []).append(review.rating)
        return {v: RatingSummary(average=sum(r) / len(r), count=len(r)) for v, r in ratings.items()}


class FakeVoiceUse(Table):
    async def completed_with(self, user_id: UUID, voice_id: UUID) -> bool:
        return any(
            revision.voice_id == voice_id
            and revision.completed_at is not None
            and (generation := self._db.generations.get(revision.generation_id)) is not None
            and generation.owner_id == user_id
            for revision in self._db.generation_revisions.values()
        )


class VoiceEngagementPart(Part):
    """The fake favorites, reviews and voice use."""

    voice_favorites: VoiceFavoriteRepository
    voice_reviews: VoiceReviewRepository
    voice_use: VoiceUse

    def attach(self) -> None:
        self.voice_favorites = FakeVoiceFavorites(self)
        self.voice_reviews = FakeVoiceReviews(self)
        self.voice_use = FakeVoiceUse(self)
        super().attach()
