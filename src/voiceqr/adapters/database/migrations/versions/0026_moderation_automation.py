"""moderation automation: the staff's filter terms and the automated flagging rules

- moderation_filter_terms: the staff's extra blocked, held, flagged and allowed terms
  and link domains (kind + text is the key), each with its action and reason code.
- moderation_rules: automated flagging rules: a unique name, a kind, its parameters
  (JSON), a severity, on/off and the reason code of its flags.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_filter_terms",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "text", name=op.f("pk_moderation_filter_terms")),
    )
    op.create_table(
        "moderation_rules",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("parameters", JsonB, nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_moderation_rules_name")),
    )


def downgrade() -> None:
    op.drop_table("moderation_rules")
    op.drop_table("moderation_filter_terms")
