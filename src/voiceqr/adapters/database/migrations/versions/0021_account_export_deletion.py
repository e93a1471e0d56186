"""exporting and deleting accounts

- account_exports: one row per archive an owner asked for: its status, the attempts and
  lease of the job that builds it, and when its download link expires.
- account_deletions: one row per account being deleted: when it was asked for, when it
  is due (after the owner's grace period; at once when staff delete), who asked and
  why, and how far the background job got (its step and lease).
- retired_codes: the printed codes of deleted accounts, with no owner: they answer 410.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_deletions",
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("due_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("lease_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_deletions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_deletions")),
    )
    with op.batch_alter_table("account_deletions", schema=None) as batch_op:
        batch_op.create_index("ix_account_deletions_due_at", ["due_at"], unique=False)
    op.create_table(
        "account_exports",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("requested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("completed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_exports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_exports")),
    )
    with op.batch_alter_table("account_exports", schema=None) as batch_op:
        batch_op.create_index("ix_account_exports_status", ["status"], unique=False)
        batch_op.create_index("ix_account_exports_user_id", ["user_id"], unique=False)
    op.create_table(
        "retired_codes",
        sa.Column("public_code", sa.String(length=64), nullable=False),
        sa.Column("retired_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("public_code", name=op.f("pk_retired_codes")),
    )


def downgrade() -> None:
    op.drop_table("retired_codes")
    with op.batch_alter_table("account_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_account_exports_user_id")
        batch_op.drop_index("ix_account_exports_status")
    op.drop_table("account_exports")
    with op.batch_alter_table("account_deletions", schema=None) as batch_op:
        batch_op.drop_index("ix_account_deletions_due_at")
    op.drop_table("account_deletions")
