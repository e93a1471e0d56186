"""user preferences: default voice, QR size and the draft being typed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_preferences",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("default_voice_id", GUID(length=16), nullable=True),
        sa.Column("qr_size", sa.Integer(), server_default="512", nullable=False),
        sa.Column("draft_text", sa.Text(), server_default="", nullable=False),
        sa.Column("draft_voice_id", GUID(length=16), nullable=True),
        sa.Column("draft_saved_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_preferences")),
    )


def downgrade() -> None:
    op.drop_table("user_preferences")
