"""generation attempts: the history of every try at making a generation's audio

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "generation_attempts",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("finished_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("error_category", sa.String(length=20), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.Column("characters_billed", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_attempts_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_attempts")),
        sa.UniqueConstraint(
            "generation_id", "number", name="uq_generation_attempts_generation_number"
        ),
    )


def downgrade() -> None:
    op.drop_table("generation_attempts")
