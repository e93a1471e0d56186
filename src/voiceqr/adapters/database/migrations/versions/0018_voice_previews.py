"""voice previews: compare voices side by side

- voice_previews: one voice reading one short text, made by the generation job's
  machinery (status, lease, retries) but no generation: no owner's history, no public
  code. One per cache key (the voice as it was, the spoken text), shared by everyone.
- voice_comparisons: a user's compare, naming the previews of the voices picked.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_previews",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("voice_id", GUID(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("requested_by", GUID(length=16), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("lease_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("enqueued_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("audio_key", sa.String(length=300), nullable=True),
        sa.Column("characters_billed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error_category", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["users.id"],
            name=op.f("fk_voice_previews_requested_by_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_previews")),
        sa.UniqueConstraint("cache_key", name=op.f("uq_voice_previews_cache_key")),
    )
    op.create_index(
        "ix_voice_previews_requested_by_created",
        "voice_previews",
        ["requested_by", "created_at"],
    )
    op.create_index(
        "ix_voice_previews_status_next_attempt", "voice_previews", ["status", "next_attempt_at"]
    )
    op.create_index("ix_voice_previews_expires_at", "voice_previews", ["expires_at"])
    op.create_table(
        "voice_comparisons",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("voice_ids", JsonB, nullable=False),
        sa.Column("preview_ids", JsonB, nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_voice_comparisons_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_comparisons")),
    )
    op.create_index("ix_voice_comparisons_expires_at", "voice_comparisons", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_voice_comparisons_expires_at", table_name="voice_comparisons")
    op.drop_table("voice_comparisons")
    op.drop_index("ix_voice_previews_expires_at", table_name="voice_previews")
    op.drop_index("ix_voice_previews_status_next_attempt", table_name="voice_previews")
    op.drop_index("ix_voice_previews_requested_by_created", table_name="voice_previews")
    op.drop_table("voice_previews")
