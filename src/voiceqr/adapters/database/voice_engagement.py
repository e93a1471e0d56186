"""Favorites, ratings and reviews of voices on SQLAlchemy Core: their tables, row mapping
and repositories, and whether someone has used a voice (read from the generations).

Both tables belong to the person and to the voice: deleting either deletes the stars
and reviews with it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    CheckConstraint,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    RowMapping,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.accounts import users
from voiceqr.adapters.database.generations import generation_revisions, generations
from voiceqr.adapters.database.shared import (
    Part,
    Repository,
    belongs_to,
    metadata,
    row_of,
    upsert,
)
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.voices.ports import (
    VoiceFavoriteRepository,
    VoiceReviewRepository,
    VoiceUse,
)
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.voices.reviews import (
    ListedReview,
    RatingSummary,
    VoiceReview,
    reviewer_name,
)

voice_favorites = Table(
    "voice_favorites",
    metadata,
    belongs_to("user_id", "users", nullable=False),
    belongs_to("voice_id", "voices", nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    # A person's stars are read by the key's first column; one star per voice.
    PrimaryKeyConstraint("user_id", "voice_id", name="pk_voice_favorites"),
    # Deleting a voice finds its stars without a scan.
    Index("ix_voice_favorites_voice_id", "voice_id"),
)

voice_reviews = Table(
    "voice_reviews",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("voice_id", "voices", nullable=False),
    belongs_to("user_id", "users", nullable=False),
    Column("rating", Integer, nullable=False),
    Column("text", Text, nullable=False, server_default=""),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    # Set while staff keep the review out of the listing and the average.
    Column("hidden_at", DateTimeUTC),
    Column("hidden_reason", String(500), nullable=False, server_default=""),
    CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
    # One review per person per voice: writing again edits it.
    UniqueConstraint("user_id", "voice_id", name="uq_voice_reviews_user_voice"),
    # A voice's reviews newest first, and its ratings grouped, from one index.
    Index("ix_voice_reviews_voice_created", "voice_id", "created_at", "id"),
)


# --- favorites -------------------------------------------------------------------------


class SqlVoiceFavorites(Repository):
    async def add(self, user_id: UUID, voice_id: UUID, *, at: datetime) -> bool:
        statement = upsert(self._db, voice_favorites).values(
            user_id=user_id, voice_id=voice_id, created_at=at
        )
        result = await self._db.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount == 1)

    async def remove(self, user_id: UUID, voice_id: UUID) -> bool:
        c = voice_favorites.c
        result = await self._db.execute(
            delete(voice_favorites).where(c.user_id == user_id, c.voice_id == voice_id)
        )
        return bool(result.rowcount == 1)

    async def voice_ids(self, user_id: UUID) -> list[UUID]:
        c = voice_favorites.c
        query = (
            select(c.voice_id)
            .where(c.user_id == user_id)
            .order_by(c.created_at.desc(), c.voice_id.desc())
        )
        return list((await self._db.execute(query)).scalars())


# --- reviews ---------------------------------------------------------------------------


def _review(row: RowMapping) -> VoiceReview:
    return VoiceReview(**{column.name: row[column.name] for column in voice_reviews.columns})


def _listed() -> Select[Any]:
    """Reviews with their author's name (the name only: never the email)."""
    return select(voice_reviews, users.c.name.label("reviewer_name")).join(
        users, users.c.id == voice_reviews.c.user_id
    )


def _listed_review(row: RowMapping) -> ListedReview:
    return ListedReview(review=_review(row), reviewer=reviewer_name(row["reviewer_name"]))


class SqlVoiceReviews(Repository):
    async def add(self, review: VoiceReview) -> None:
        await self._unique(
            insert(voice_reviews).values(row_of(voice_reviews, review)),
            Conflict("You have reviewed this voice already.", code="review_exists"),
        )

    async def update(self, review: VoiceReview) -> None:
        values: dict[str, Any] = {
            "rating": review.rating,
            "text": review.text,
            "updated_at": review.updated_at,
            "hidden_at": review.hidden_at,
            "hidden_reason": review.hidden_reason,
        }
        await self._db.execute(
            update(voice_reviews).where(voice_reviews.c.id == review.id).values(values)
        )

    async def get_own(self, user_id: UUID, voice_id: UUID) -> VoiceReview | None:
        c = voice_reviews.c
        row = await self._first(
            select(voice_reviews).where(c.user_id == user_id, c.voice_id == voice_id)
        )
        return None if row is None else _review(row)

    async def get_of_voice(self, review_id: UUID, voice_id: UUID) -> ListedReview | None:
        c = voice_reviews.c
        row = await self._first(_listed().where(c.id == review_id, c.voice_id == voice_id))
        return None if row is None else _listed_review(row)

    async def list_for_voice(
        self,
        voice_id: UUID,
        *,
        include_hidden: bool,
        limit: int,
        after: HistoryPosition | None = None,
    ) -> list[ListedReview]:
        c = voice_reviews.c
        query = _listed().where(c.voice_id == voice_id)
        if not include_hidden:
            query = query.where(c.hidden_at.is_(None))
        if after is not None:
            query = query.where(
                c.created_at <= after.created_at,
                or_(c.created_at < after.created_at, c.id < after.id),
            )
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        return [_listed_review(row) for row in await self._rows(query)]

    async def ratings(self, voice_ids: Collection[UUID]) -> dict[UUID, RatingSummary]:
        if not voice_ids:
            return {}
        c = voice_reviews.c
        query = (
            select(c.voice_id, func.avg(c.rating).label("average"), func.count().label("count"))
            .where(c.voice_id.in_(list(voice_ids)), c.hidden_at.is_(None))
            .group_by(c.voice_id)
        )
        return {
            row["voice_id"]: RatingSummary(average=float(row["average"]), count=int(row["count"]))
            for row in await self._rows(query)
        }


# --- who has used a voice ------------------------------------------------------------


class SqlVoiceUse(Repository):
    async def completed_with(self, user_id: UUID, voice_id: UUID) -> bool:
        r, g = generation_revisions.c, generations.c
        made = (
            select(r.id)
            .join(generations, g.id == r.generation_id)
            .where(and_(g.owner_id == user_id, r.voice_id == voice_id, r.completed_at.is_not(None)))
        )
        return bool((await self._db.execute(select(exists(made)))).scalar_one())


class VoiceEngagementPart(Part):
    """Favorites, reviews and voice use: the voices feature's engagement share of the unit
    of work."""

    voice_favorites: VoiceFavoriteRepository
    voice_reviews: VoiceReviewRepository
    voice_use: VoiceUse

    def attach(self, connection: AsyncConnection) -> None:
        self.voice_favorites = SqlVoiceFavorites(connection)
        self.voice_reviews = SqlVoiceReviews(connection)
        self.voice_use = SqlVoiceUse(connection)
        super().attach(connection)
