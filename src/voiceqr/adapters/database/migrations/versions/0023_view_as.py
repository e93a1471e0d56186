"""staff viewing the site as a user

- sessions.viewing_user_id, sessions.viewing_until: a staff member's session that views
  the site as a user, read-only, until a time (both empty otherwise).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 13:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("viewing_user_id", GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column("viewing_until", DateTimeUTC(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("viewing_until")
        batch_op.drop_column("viewing_user_id")
