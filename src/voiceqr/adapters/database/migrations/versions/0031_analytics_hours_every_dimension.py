"""analytics: today's complete hours rolled up for every dimension, per owner and per code

- analytics_hours: per code, the complete UTC hours of the days not rolled up yet, every
  dimension, summed per day (one row per code, day, dimension and value); one code's
  page and the ranking of codes read today there and only the raw events of the hour
  under way. A visitor counts in the hour of their first scan of the day.
- analytics_account_hours: the same per owner, every dimension now (the hours only
  until now). Its rows and the end of the last hour rolled up (analytics_state row
  "hours_rolled_until") are forgotten: they are sums of the raw events, which are all
  still there, and the roll-up job rolls today's complete hours up again, every
  dimension, at its next run (reads count the raw events until then).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

_COUNTS = ("scans", "listens", "visitors", "bots_left_out")


def _forget_hours_rolled() -> None:
    op.execute(sa.text("DELETE FROM analytics_state WHERE name = 'hours_rolled_until'"))


def upgrade() -> None:
    op.create_table(
        "analytics_hours",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *(sa.Column(n, sa.Integer(), server_default="0", nullable=False) for n in _COUNTS),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_analytics_hours_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_analytics_hours_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "generation_id", "dimension", "day", "value", name=op.f("pk_analytics_hours")
        ),
    )
    op.create_index(
        "ix_analytics_hours_ranking",
        "analytics_hours",
        ["owner_id", "dimension", "day", "generation_id", *_COUNTS],
    )
    op.create_index("ix_analytics_hours_day", "analytics_hours", ["day"])
    op.execute(sa.text("DELETE FROM analytics_account_hours"))
    _forget_hours_rolled()


def downgrade() -> None:
    op.drop_index("ix_analytics_hours_day", table_name="analytics_hours")
    op.drop_index("ix_analytics_hours_ranking", table_name="analytics_hours")
    op.drop_table("analytics_hours")
    # The hours (dimension "hour") are what revision 0030 reads; rolled up again as
    # they were, the other dimensions' rows are left out of them.
    op.execute(sa.text("DELETE FROM analytics_account_hours WHERE dimension <> 'hour'"))
