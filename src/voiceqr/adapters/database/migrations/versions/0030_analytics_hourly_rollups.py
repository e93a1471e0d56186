"""analytics: today's hours rolled up, and one code's recent events by time

- analytics_account_hours: per owner, the complete UTC hours (dimension "hour") of the
  days not rolled up yet, so that the charts over time and the heatmap read the raw
  events of the hour under way only. The roll-up job fills it from the next run on.
- analytics_state.until: the end of the last hour rolled up there (row
  "hours_rolled_until").
- playback_events: the index of (occurred_at) becomes one of (occurred_at,
  generation_id): one code's events of today are picked from the index.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_COUNTS = ("scans", "listens", "visitors", "bots_left_out")


def upgrade() -> None:
    op.create_table(
        "analytics_account_hours",
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *(sa.Column(n, sa.Integer(), server_default="0", nullable=False) for n in _COUNTS),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_analytics_account_hours_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "owner_id", "dimension", "day", "value", name=op.f("pk_analytics_account_hours")
        ),
    )
    op.create_index("ix_analytics_account_hours_day", "analytics_account_hours", ["day"])
    op.add_column("analytics_state", sa.Column("until", DateTimeUTC(timezone=True), nullable=True))
    op.create_index(
        "ix_playback_events_occurred_at_code", "playback_events", ["occurred_at", "generation_id"]
    )
    op.drop_index("ix_playback_events_occurred_at", table_name="playback_events")


def downgrade() -> None:
    op.create_index("ix_playback_events_occurred_at", "playback_events", ["occurred_at"])
    op.drop_index("ix_playback_events_occurred_at_code", table_name="playback_events")
    with op.batch_alter_table("analytics_state") as batch:
        batch.drop_column("until")
    op.drop_index("ix_analytics_account_hours_day", table_name="analytics_account_hours")
    op.drop_table("analytics_account_hours")
