"""Favorites, ratings and reviews of voices: starring voices to find them first, rating
the voices one has used, and staff hiding a review that should not be shown.

Who may review: someone with at least one generation of their own whose audio was made
with the voice (completed at least once, in any revision). A generation deleted since
still counts, since its owner heard the voice; one that only ever failed or is still
waiting does not, since its owner never heard it.

Only voices the person can see (published ones; every one for those who manage voices)
can be starred or reviewed; any other id is "no such voice", as in the gallery.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.shared.audit import record
from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.voices.ports import VoiceEngagementUnitOfWork
from voiceqr.domain.authz import Actor, Permission, can, require
from voiceqr.domain.shared.errors import NotFound, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.reviews import (
    NO_RATINGS,
    ListedReview,
    RatingSummary,
    VoiceReview,
    clean_hiding_reason,
)
from voiceqr.domain.voices.voice import Voice

MAX_REVIEWS_PAGE = 100


@dataclass(frozen=True, slots=True)
class VoiceStanding:
    """What a voice card shows of a voice besides the voice: its rating and whether the
    viewer starred it."""

    rating: RatingSummary
    favorite: bool


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """One page of a voice's reviews, newest first; `next_cursor` fetches the older ones
    (None: no more)."""

    items: list[ListedReview]
    next_cursor: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class VoiceEngagement:
    uow: Callable[[], VoiceEngagementUnitOfWork]
    clock: Callable[[], datetime]

    # --- favorites -----------------------------------------------------------------

    async def favorite(self, user: Actor, voice_id: UUID) -> None:
        """Star a voice; starring it again changes nothing."""
        user_id = _account(user)
        async with self.uow() as uow:
            await _visible_voice(uow, voice_id, user)
            if await uow.voice_favorites.add(user_id, voice_id, at=self.clock()):
                await uow.commit()

    async def unfavorite(self, user: Actor, voice_id: UUID) -> None:
        """Unstar a voice; a voice that was not starred stays so. An unknown or hidden voice
        is "no such voice", as for starring."""
        user_id = _account(user)
        async with self.uow() as uow:
            await _visible_voice(uow, voice_id, user)
            if await uow.voice_favorites.remove(user_id, voice_id):
                await uow.commit()

    async def favorite_ids(self, user: Actor | None) -> set[UUID]:
        """The voices the person starred (none for a visitor): the picker shows them first."""
        return set(await self.starred(user))

    async def starred(self, user: Actor | None) -> list[UUID]:
        """The ids of the voices the person starred, most recently starred first (a
        voice hidden since may be among them: it is shown wherever the gallery shows it)."""
        if user is None or user.id is None:
            return []
        async with self.uow() as uow:
            return await uow.voice_favorites.voice_ids(user.id)

    # --- ratings for the cards --------------------------------------------------------

    async def ratings(self, voice_ids: Collection[UUID]) -> dict[UUID, RatingSummary]:
        """Each voice's mean rating and count of visible reviews, in one query (voices
        without reviews get `NO_RATINGS`)."""
        if not voice_ids:
            return {}
        async with self.uow() as uow:
            found = await uow.voice_reviews.ratings(voice_ids)
        return {voice_id: found.get(voice_id, NO_RATINGS) for voice_id in voice_ids}

    async def standings(
        self, viewer: Actor | None, voice_ids: Collection[UUID]
    ) -> dict[UUID, VoiceStanding]:
        """What each voice card adds to a voice for this viewer (a visitor: None): the
        rating and whether the viewer starred it, in two queries for the whole gallery."""
        if not voice_ids:
            return {}
        starred = await self.favorite_ids(viewer)
        rated = await self.ratings(voice_ids)
        return {
            voice_id: VoiceStanding(rating=rated[voice_id], favorite=voice_id in starred)
            for voice_id in voice_ids
        }

    # --- reviews -------------------------------------------------------------------------

    async def own_review(self, user: Actor, voice_id: UUID) -> VoiceReview:
        """The person's own review of a voice; NotFound (`review_not_found`) when none."""
        user_id = _account(user)
        async with self.uow() as uow:
            await _visible_voice(uow, voice_id, user)
            review = await uow.voice_reviews.get_own(user_id, voice_id)
        if review is None:
            raise NotFound("You have not reviewed this voice.", code="review_not_found")
        return review

    async def write_review(
        self, user: Actor, voice_id: UUID, *, rating: int, text: str = ""
    ) -> tuple[VoiceReview, bool]:
        """Rate a voice one has used (1 to 5 stars, optional words), or replace one's
        rating and words of it; True when the review is new.

        PermissionDenied (`voice_not_used`) for someone whose audio was never made with
        the voice. Only ever the author's own review is written.
        """
        user_id = _account(user)
        now = self.clock()
        async with self.uow() as uow:
            await _visible_voice(uow, voice_id, user)
            if not await uow.voice_use.completed_with(user_id, voice_id):
                raise PermissionDenied(
                    "You can rate a voice once you have made audio with it.",
                    code="voice_not_used",
                )
            review = await uow.voice_reviews.get_own(user_id, voice_id)
            if review is None:
                review = VoiceReview(
                    id=uuid7(),
                    voice_id=voice_id,
                    user_id=user_id,
                    rating=rating,
                    text=text,
                    created_at=now,
                    updated_at=now,
                )
                await uow.voice_reviews.add(review)
                created = True
            else:
                review.revise(rating=rating, text=text, now=now)
                await uow.voice_reviews.update(review)
                created = False
            await uow.commit()
        return review, created

    async def reviews(
        self,
        viewer: Actor,
        voice_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = 20,
    ) -> ReviewPage:
        """A voice's reviews newest first, a page at a time, each naming its author by first
        name. Hidden reviews are left out, except for those who moderate reviews."""
        if not 1 <= limit <= MAX_REVIEWS_PAGE:
            raise ValidationError(
                f"Ask for 1 to {MAX_REVIEWS_PAGE} reviews per page.", code="bad_limit"
            )
        after = None if cursor is None else decode_cursor(cursor)
        async with self.uow() as uow:
            await _visible_voice(uow, voice_id, viewer)
            found = await uow.voice_reviews.list_for_voice(
                voice_id,
                include_hidden=can(viewer, Permission.MODERATE_REVIEWS),
                limit=limit + 1,
                after=after,
            )
        items = found[:limit]
        next_cursor = None
        if len(found) > limit:
            last = items[-1].review
            next_cursor = encode_cursor(HistoryPosition(last.created_at, last.id))
        return ReviewPage(items=items, next_cursor=next_cursor)

    async def set_hidden(
        self,
        staff: Actor,
        voice_id: UUID,
        review_id: UUID,
        *,
        hidden: bool,
        reason: str,
        ip: str = "",
    ) -> ListedReview:
        """Hide a review of a voice from the listing and the average, or show it again
        (staff who moderate reviews), with a reason; the audit log records both."""
        require(staff, Permission.MODERATE_REVIEWS)
        why = clean_hiding_reason(reason)
        now = self.clock()
        async with self.uow() as uow:
            listed = await uow.voice_reviews.get_of_voice(review_id, voice_id)
            if listed is None:
                raise NotFound("No such review of this voice.", code="review_not_found")
            review = listed.review
            if hidden == review.is_hidden:
                return listed  # nothing changes, and nothing is recorded as changed
            if hidden:
                review.hide(why, now=now)
            else:
                review.show()
            await uow.voice_reviews.update(review)
            await record(
                uow,
                staff,
                "voice_review.hide" if hidden else "voice_review.show",
                target=("voice_review", review.id),
                now=now,
                ip=ip,
                details={
                    "voice_id": str(voice_id),
                    "author_id": str(review.user_id),
                    "reason": why,
                },
            )
            await uow.commit()
        return listed


def _account(actor: Actor) -> UUID:
    """The account acting for itself; the operator at the terminal has none to star or
    review with."""
    if actor.id is None:
        raise PermissionDenied(
            "Favorites and reviews belong to an account; sign in as one.", code="account_required"
        )
    return actor.id


async def _visible_voice(uow: VoiceEngagementUnitOfWork, voice_id: UUID, actor: Actor) -> Voice:
    voice = await uow.voices.get(voice_id)
    if voice is None or (not voice.published and not can(actor, Permission.MANAGE_VOICES)):
        raise NotFound("No such voice.", code="voice_not_found")
    return voice
