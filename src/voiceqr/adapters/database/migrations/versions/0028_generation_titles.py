"""generations: title, the owner's name for a generation

NULL (every existing row) means the first words of the text are shown. A plain
ADD COLUMN on both engines: SQLite keeps the text search triggers of 0007 as they are.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("generations", sa.Column("title", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("generations", "title")
