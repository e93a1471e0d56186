"""the time zone analytics are shown in, a profile preference ("": the browser's)

Numbered 0014: 0013 is the analytics roll-up storage made at the same time. Until it
lands this revises 0012; once it does, `down_revision` becomes "0013".

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-10 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.drop_column("time_zone")
