"""QR designs

- generation_qr_designs: how a generation's printed code looks (colours, module and eye
  styles, frame and caption, the key of an uploaded logo); deleted with the generation.
- default_qr_designs: the same, as a user's default for generations with no design.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 13:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def _design_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("foreground", sa.String(length=7), nullable=False),
        sa.Column("background", sa.String(length=7), nullable=False),
        sa.Column("module_style", sa.String(length=16), nullable=False),
        sa.Column("eye_style", sa.String(length=16), nullable=False),
        sa.Column("frame", sa.Boolean(), nullable=False),
        sa.Column("caption", sa.String(length=40), nullable=False),
        sa.Column("logo_key", sa.String(length=200), nullable=True),
    ]


def upgrade() -> None:
    for table, key, parent in (
        ("generation_qr_designs", "generation_id", "generations"),
        ("default_qr_designs", "user_id", "users"),
    ):
        op.create_table(
            table,
            sa.Column(key, GUID(length=16), nullable=False),
            *_design_columns(),
            sa.ForeignKeyConstraint(
                [key], [f"{parent}.id"], name=op.f(f"fk_{table}_{key}_{parent}"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint(key, name=op.f(f"pk_{table}")),
        )


def downgrade() -> None:
    op.drop_table("default_qr_designs")
    op.drop_table("generation_qr_designs")
