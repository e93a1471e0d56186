"""analytics monthly roll-ups

- analytics_monthly: per code, per complete UTC month (its first day), per dimension and
  value: the sums of the month's rows in analytics_daily, so that a long range reads its
  whole months there and only the days at its edges day by day; and its hours per UTC
  weekday and hour (dimension "week_hour"), for the heatmap.
- analytics_account_monthly: the same per owner, from analytics_account_daily.
- The ranking of an owner's codes reads the day's (and month's) totals from an index
  alone: (owner, dimension, day or month, code, counts), in place of (owner, dimension,
  day).
- The months already rolled up (every month whose last day is on or before the last day
  rolled up) are made here from the daily roll-ups; the roll-up job makes the next ones.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 09:00:00.000000
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_COUNTS = ("scans", "listens", "visitors", "bots_left_out")
# The ranking of an owner's codes reads these from the index alone.
_RANKED = ["generation_id", *_COUNTS]


def _counts() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in _COUNTS]


def _owner(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["owner_id"], ["users.id"], name=op.f(f"fk_{table}_owner_id_users"), ondelete="CASCADE"
    )


def _last_complete_month_end() -> date | None:
    """The last day of the last month whose every day is rolled up, or None."""
    through = (
        op.get_bind()
        .execute(sa.text("SELECT day FROM analytics_state WHERE name = 'rolled_through'"))
        .scalar_one_or_none()
    )
    if through is None:
        return None
    through = through if isinstance(through, date) else date.fromisoformat(through)
    following = through + timedelta(days=1)
    return through if following.day == 1 else through.replace(day=1) - timedelta(days=1)


def _fill(daily: str, monthly: str, keys: list[str], until: date) -> None:
    """The monthly rows of every month up to `until`, from the daily ones: each
    dimension's, and the hours per UTC weekday and hour (dimension "week_hour", value
    "0" (Monday) + "00" to "6" + "23")."""
    source = sa.table(
        daily, *(sa.column(n) for n in [*keys, "day", "dimension", "value", *_COUNTS])
    )
    day = source.c.day
    month: sa.ColumnElement[Any]
    weekday: sa.ColumnElement[Any]
    if op.get_bind().dialect.name == "sqlite":
        month = sa.func.date(day, "start of month")
        weekday = (sa.cast(sa.func.strftime("%w", day), sa.Integer) + 6) % 7  # 0 is Sunday
    else:
        month = sa.cast(sa.func.date_trunc("month", day), sa.Date)
        weekday = sa.cast(sa.func.extract("isodow", day), sa.Integer) - 1
    week_hour = sa.cast(weekday, sa.String) + source.c.value
    target = sa.table(
        monthly, *(sa.column(n) for n in [*keys, "month", "dimension", "value", *_COUNTS])
    )
    for dimension, value, only in (
        (source.c.dimension, source.c.value, sa.true()),
        (sa.literal("week_hour"), week_hour, source.c.dimension == "hour"),
    ):
        grouped = [*(source.c[name] for name in keys), month, dimension, value]
        sums = (
            sa.select(*grouped, *(sa.func.sum(source.c[name]) for name in _COUNTS))
            .where(day <= until, only)
            .group_by(*grouped)
        )
        op.get_bind().execute(
            target.insert().from_select([*keys, "month", "dimension", "value", *_COUNTS], sums)
        )


def upgrade() -> None:
    op.create_table(
        "analytics_monthly",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *_counts(),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_analytics_monthly_generation_id_generations"),
            ondelete="CASCADE",
        ),
        _owner("analytics_monthly"),
        sa.PrimaryKeyConstraint(
            "generation_id", "dimension", "month", "value", name=op.f("pk_analytics_monthly")
        ),
    )
    op.create_index(
        "ix_analytics_monthly_ranking",
        "analytics_monthly",
        ["owner_id", "dimension", "month", *_RANKED],
    )
    op.create_index("ix_analytics_monthly_month", "analytics_monthly", ["month"])
    op.create_table(
        "analytics_account_monthly",
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        *_counts(),
        _owner("analytics_account_monthly"),
        sa.PrimaryKeyConstraint(
            "owner_id", "dimension", "month", "value", name=op.f("pk_analytics_account_monthly")
        ),
    )
    op.create_index("ix_analytics_account_monthly_month", "analytics_account_monthly", ["month"])
    op.drop_index("ix_analytics_daily_owner", table_name="analytics_daily")
    op.create_index(
        "ix_analytics_daily_ranking", "analytics_daily", ["owner_id", "dimension", "day", *_RANKED]
    )
    until = _last_complete_month_end()
    if until is not None:
        _fill("analytics_daily", "analytics_monthly", ["generation_id", "owner_id"], until)
        _fill("analytics_account_daily", "analytics_account_monthly", ["owner_id"], until)


def downgrade() -> None:
    op.drop_index("ix_analytics_account_monthly_month", table_name="analytics_account_monthly")
    op.drop_table("analytics_account_monthly")
    op.drop_index("ix_analytics_monthly_month", table_name="analytics_monthly")
    op.drop_index("ix_analytics_monthly_ranking", table_name="analytics_monthly")
    op.drop_table("analytics_monthly")
    op.drop_index("ix_analytics_daily_ranking", table_name="analytics_daily")
    op.create_index("ix_analytics_daily_owner", "analytics_daily", ["owner_id", "dimension", "day"])
