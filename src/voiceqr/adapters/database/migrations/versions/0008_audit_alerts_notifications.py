"""audit log, failure alerts and notification settings

- audit_events: every admin action, who, what, target, when, from where.
- alert_states: when each alert last fired (the failure-rate alert's cooldown).
- generation_attempts.finished_at index: the failure dashboard and the alert check.
- user_preferences.email_generation_failed: whether the owner wants the failure mail.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("occurred_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("actor_id", GUID(length=16), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=50), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("details", JsonB, nullable=False),
        sa.Column("ip", sa.String(length=64), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_occurred", "audit_events", ["occurred_at", "id"])
    op.create_index("ix_audit_events_action_occurred", "audit_events", ["action", "occurred_at"])
    op.create_index("ix_audit_events_actor_occurred", "audit_events", ["actor", "occurred_at"])
    op.create_table(
        "alert_states",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("fired_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("details", JsonB, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_alert_states")),
    )
    op.create_index("ix_generation_attempts_finished_at", "generation_attempts", ["finished_at"])
    op.add_column(
        "user_preferences",
        sa.Column(
            "email_generation_failed",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    # SQLite drops a column by copying the table: batch mode does that.
    with op.batch_alter_table("user_preferences") as batch_op:
        batch_op.drop_column("email_generation_failed")
    op.drop_index("ix_generation_attempts_finished_at", table_name="generation_attempts")
    op.drop_table("alert_states")
    op.drop_index("ix_audit_events_actor_occurred", table_name="audit_events")
    op.drop_index("ix_audit_events_action_occurred", table_name="audit_events")
    op.drop_index("ix_audit_events_occurred", table_name="audit_events")
    op.drop_table("audit_events")
