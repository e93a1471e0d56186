"""generations: the owner is told of a failure once

`failure_notified_at`: when the owner was first told the generation failed for good
(mail, digest line or notice). Set once, by a conditional UPDATE in the transaction that
tells them, so a generation retried and failing again is not told twice. NULL for every
existing row: a generation that failed before this migration may be told once more if it
fails again.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "generations", sa.Column("failure_notified_at", DateTimeUTC(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("generations", "failure_notified_at")
