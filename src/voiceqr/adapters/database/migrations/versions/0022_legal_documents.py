"""terms and privacy policy: versioned documents and their acceptances

- legal_documents: each published version of the terms of service and the privacy
  policy (text, summary of changes, effective date, sha256 of the text, material flag,
  who published it); never updated, one number per kind and version.
- legal_acceptances: who accepted which version, when and how (sign-up, social
  sign-up, the acceptance page); deleted with the account.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_documents",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("published_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=254), nullable=False),
        sa.Column("published_by_id", GUID(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_legal_documents_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_documents")),
        sa.UniqueConstraint("kind", "version", name="uq_legal_documents_kind_version"),
    )
    op.create_table(
        "legal_acceptances",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_legal_acceptances_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_acceptances")),
    )
    op.create_index(
        "ix_legal_acceptances_user_kind_version",
        "legal_acceptances",
        ["user_id", "kind", "version"],
    )
    op.create_index("ix_legal_acceptances_kind_version", "legal_acceptances", ["kind", "version"])


def downgrade() -> None:
    op.drop_index("ix_legal_acceptances_kind_version", table_name="legal_acceptances")
    op.drop_index("ix_legal_acceptances_user_kind_version", table_name="legal_acceptances")
    op.drop_table("legal_acceptances")
    op.drop_table("legal_documents")
