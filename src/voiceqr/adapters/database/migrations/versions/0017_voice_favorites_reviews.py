"""voice favorites, ratings and reviews

- voice_favorites: the voices each person starred, one row per (person, voice).
- voice_reviews: one rating (1 to 5) and optional words per person per voice, which
  staff may hide (with a reason) from the listing and the average.

Both belong to the person and to the voice: deleting either deletes these rows.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_favorites",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("voice_id", GUID(length=16), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_voice_favorites_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voice_id"],
            ["voices.id"],
            name=op.f("fk_voice_favorites_voice_id_voices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "voice_id", name=op.f("pk_voice_favorites")),
    )
    op.create_index("ix_voice_favorites_voice_id", "voice_favorites", ["voice_id"])
    op.create_table(
        "voice_reviews",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("voice_id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("hidden_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.String(length=500), server_default="", nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_voice_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_voice_reviews_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voice_id"],
            ["voices.id"],
            name=op.f("fk_voice_reviews_voice_id_voices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_reviews")),
        sa.UniqueConstraint("user_id", "voice_id", name="uq_voice_reviews_user_voice"),
    )
    op.create_index(
        "ix_voice_reviews_voice_created", "voice_reviews", ["voice_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_voice_reviews_voice_created", table_name="voice_reviews")
    op.drop_table("voice_reviews")
    op.drop_index("ix_voice_favorites_voice_id", table_name="voice_favorites")
    op.drop_table("voice_favorites")
