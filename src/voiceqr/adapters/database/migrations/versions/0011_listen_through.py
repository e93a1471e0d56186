"""listen-through

- listens: one row per listen of a code's audio, keyed by an id the playback page makes
  up, with the audio revision it played and the 5% buckets it heard (a 20-bit mask).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listens",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("heard", sa.Integer(), nullable=False),
        sa.Column("started_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_listens_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listens")),
    )
    with op.batch_alter_table("listens", schema=None) as batch_op:
        batch_op.create_index(
            "ix_listens_generation_revision", ["generation_id", "revision"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listens", schema=None) as batch_op:
        batch_op.drop_index("ix_listens_generation_revision")
    op.drop_table("listens")
