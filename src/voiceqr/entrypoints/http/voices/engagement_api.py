"""Favorites, ratings and reviews of voices in the JSON API: a signed-in person stars
voices and rates the ones they have made audio with; staff who moderate reviews hide one
with a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, Router, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.voices.reviews import MAX_RATING, MIN_RATING, ListedReview, VoiceReview
from voiceqr.domain.voices.reviews import reviewer_name as first_name_of
from voiceqr.entrypoints.http.kit.auth import (
    api_key_scopes,
    client_address,
    current_user,
    optional_user,
    staff,
)
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, multi_line, one_line
from voiceqr.entrypoints.http.kit.voice_engagement import VoiceEngagementOut, voice_engagement_out

# The domain refuses a review over 1,000 characters (after trimming) and a reason over
# 500 with a clear message; these caps only stop absurd bodies early.
ReviewText = Annotated[str, multi_line(4000)]
Reason = Annotated[str, one_line(2000)]
Stars = Annotated[int, Meta(ge=MIN_RATING, le=MAX_RATING, description="1 to 5 stars")]


class ReviewIn(Body):
    rating: Stars
    text: ReviewText = ""


class ReviewHiding(Body):
    hidden: bool
    reason: Reason


class ReviewOut(msgspec.Struct, kw_only=True):
    id: UUID
    voice_id: UUID
    rating: int
    text: str
    reviewer: str  # the author's first name, or "A user"; never an email
    created_at: datetime
    updated_at: datetime
    hidden: bool  # only the author and moderators ever see a hidden review
    hidden_reason: str | None  # moderators only


class ReviewList(msgspec.Struct, kw_only=True):
    items: list[ReviewOut]
    next_cursor: str | None


class FavoriteList(msgspec.Struct, kw_only=True):
    voice_ids: list[UUID]  # most recently starred first


def _review_out(review: VoiceReview, reviewer: str, *, moderator: bool) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        voice_id=review.voice_id,
        rating=review.rating,
        text=review.text,
        reviewer=reviewer,
        created_at=review.created_at,
        updated_at=review.updated_at,
        hidden=review.is_hidden,
        hidden_reason=review.hidden_reason if moderator and review.is_hidden else None,
    )


def _listed_out(listed: ListedReview, *, moderator: bool) -> ReviewOut:
    return _review_out(listed.review, listed.reviewer, moderator=moderator)


class VoiceEngagementController(Controller):
    path = "/voices"
    tags = ["voices"]
    opt = api_key_scopes(
        GET=Scope.READ, POST=Scope.GENERATE, PUT=Scope.GENERATE, DELETE=Scope.GENERATE
    )
    dependencies = {"user": Provide(current_user)}

    @get("/favorites")
    async def favorites(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> FavoriteList:
        """The voices the signed-in person starred that the gallery shows them, most
        recently starred first."""
        shown = {voice.id for voice in await platform.voices.list_for(user)}
        starred = await platform.voice_engagement.starred(user)
        return FavoriteList(voice_ids=[voice_id for voice_id in starred if voice_id in shown])

    @get("/{voice_id:uuid}/engagement", dependencies={"viewer": Provide(optional_user)})
    async def engagement(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        viewer: NamedDependency[User | None],
    ) -> VoiceEngagementOut:
        """The voice's average rating and count of visible reviews, and whether the
        signed-in person starred it (what a voice card shows besides the voice; visitors
        see the rating, never a star)."""
        await platform.voices.get(voice_id, user=viewer)  # 404 for a voice they cannot see
        standings = await platform.voice_engagement.standings(viewer, [voice_id])
        return voice_engagement_out(voice_id, standings[voice_id])

    @post("/{voice_id:uuid}/favorite", status_code=HTTP_204_NO_CONTENT)
    async def favorite(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> None:
        """Star a voice (starring it again changes nothing)."""
        await platform.voice_engagement.favorite(user, voice_id)

    @delete("/{voice_id:uuid}/favorite")
    async def unfavorite(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> None:
        """Unstar a voice (a voice that was not starred stays so)."""
        await platform.voice_engagement.unfavorite(user, voice_id)

    @get("/{voice_id:uuid}/review")
    async def own_review(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> ReviewOut:
        """The signed-in person's own review of the voice (404 `review_not_found` when they
        have none)."""
        review = await platform.voice_engagement.own_review(user, voice_id)
        return _review_out(
            review, first_name_of(user.name), moderator=can(user, Permission.MODERATE_REVIEWS)
        )

    @put(
        "/{voice_id:uuid}/review",
        responses={
            HTTP_201_CREATED: ResponseSpec(
                data_container=ReviewOut, description="The review was written for the first time."
            ),
            **problems(403),
        },
    )
    async def write_review(
        self,
        voice_id: FromPath[UUID],
        data: JSONBody[ReviewIn],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> Response[ReviewOut]:
        """Rate the voice 1 to 5 stars, with up to 1,000 characters of words (optional,
        trimmed), or replace one's rating and words of it (200; 201 the first time).

        Only someone who has made audio with the voice may (403 `voice_not_used`). Only
        ever the signed-in person's own review is written; one a moderator hid stays hidden.
        """
        review, created = await platform.voice_engagement.write_review(
            user, voice_id, rating=data.rating, text=data.text
        )
        out = _review_out(
            review, first_name_of(user.name), moderator=can(user, Permission.MODERATE_REVIEWS)
        )
        return Response(out, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("/{voice_id:uuid}/reviews")
    async def reviews(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=200, description="`next_cursor` of the previous page"),
        ] = None,
    ) -> ReviewList:
        """The voice's reviews, newest first, a page at a time; each names its author by
        first name only. Hidden reviews are left out (moderators see them, marked)."""
        page = await platform.voice_engagement.reviews(user, voice_id, cursor=cursor, limit=limit)
        moderator = can(user, Permission.MODERATE_REVIEWS)
        return ReviewList(
            items=[_listed_out(listed, moderator=moderator) for listed in page.items],
            next_cursor=page.next_cursor,
        )


class ReviewModerationController(Controller):
    """Staff who moderate reviews hide one (or show it again), with a reason."""

    path = "/voices/{voice_id:uuid}/reviews/{review_id:uuid}/hidden"
    tags = ["voices"]
    opt = api_key_scopes(PUT=Scope.ADMIN)
    dependencies = {"staff": staff(Permission.MODERATE_REVIEWS)}

    @put("/")
    async def set_hidden(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        review_id: FromPath[UUID],
        data: JSONBody[ReviewHiding],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> ReviewOut:
        """Hide a review from the listing and the voice's average (`"hidden": true`), or
        show it again (`false`); the reason is required and kept in the audit log."""
        review = await platform.voice_engagement.set_hidden(
            staff,
            voice_id,
            review_id,
            hidden=data.hidden,
            reason=data.reason,
            ip=client_address(request, platform),
        )
        return _listed_out(review, moderator=True)


engagement_router = Router(
    path="/", route_handlers=[VoiceEngagementController, ReviewModerationController]
)
