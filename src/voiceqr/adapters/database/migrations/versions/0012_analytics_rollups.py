"""analytics roll-ups

- analytics_daily: per code, per UTC day, per dimension (total, the UTC hour, country,
  device, OS, browser, source, placement, referrer, language) and value: scans,
  listens, unique visitors and the bots' scans left out.
- analytics_account_daily: the same per owner, for the account's dashboard.
- analytics_state: the last UTC day rolled up.
- playback_events by time: the roll-up reads a day's events, retention deletes old ones;
  the roll-ups by day: rolling a day up again replaces its rows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _counts() -> list[sa.Column[int]]:
    return [
        sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        for name in ("scans", "listens", "visitors", "bots_left_out")
    ]


def _owner(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["owner_id"], ["users.id"], name=op.f(f"fk_{table}_owner_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "analytics_daily",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *_counts(),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_analytics_daily_generation_id_generations"),
            ondelete="CASCADE",
        ),
        _owner("analytics_daily"),
        sa.PrimaryKeyConstraint(
            "generation_id", "dimension", "day", "value", name=op.f("pk_analytics_daily")
        ),
    )
    op.create_index("ix_analytics_daily_owner", "analytics_daily", ["owner_id", "dimension", "day"])
    op.create_index("ix_analytics_daily_day", "analytics_daily", ["day"])
    op.create_table(
        "analytics_account_daily",
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *_counts(),
        _owner("analytics_account_daily"),
        sa.PrimaryKeyConstraint(
            "owner_id", "dimension", "day", "value", name=op.f("pk_analytics_account_daily")
        ),
    )
    op.create_index("ix_analytics_account_daily_day", "analytics_account_daily", ["day"])
    op.create_table(
        "analytics_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analytics_state")),
    )
    op.create_index("ix_playback_events_occurred_at", "playback_events", ["occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_playback_events_occurred_at", table_name="playback_events")
    op.drop_table("analytics_state")
    op.drop_index("ix_analytics_account_daily_day", table_name="analytics_account_daily")
    op.drop_table("analytics_account_daily")
    op.drop_index("ix_analytics_daily_day", table_name="analytics_daily")
    op.drop_index("ix_analytics_daily_owner", table_name="analytics_daily")
    op.drop_table("analytics_daily")
