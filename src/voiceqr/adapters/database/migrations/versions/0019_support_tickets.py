"""support tickets: tickets and their threads

- support_tickets: a user's ticket (status, priority, assignee, the failed generation it
  is about, the browser), deleted with the account; times to first reply and resolution.
- support_ticket_messages: public replies and internal notes, deleted with the ticket.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 11:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_tickets",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("requester_id", GUID(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", GUID(length=16), nullable=True),
        sa.Column("generation_id", GUID(length=16), nullable=True),
        sa.Column("error_category", sa.String(length=50), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("voice_id", GUID(length=16), nullable=True),
        sa.Column("browser", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("first_reply_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("resolved_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("closed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["users.id"],
            name=op.f("fk_support_tickets_requester_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_support_tickets_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_support_tickets_generation_id_generations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    op.create_index("ix_support_tickets_created", "support_tickets", ["created_at", "id"])
    op.create_index(
        "ix_support_tickets_requester_created", "support_tickets", ["requester_id", "created_at"]
    )
    op.create_index(
        "ix_support_tickets_status_resolved", "support_tickets", ["status", "resolved_at"]
    )
    op.create_table(
        "support_ticket_messages",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("ticket_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name=op.f("fk_support_ticket_messages_ticket_id_support_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_support_ticket_messages_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_ticket_messages")),
    )
    op.create_index(
        "ix_support_ticket_messages_ticket_created",
        "support_ticket_messages",
        ["ticket_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_support_ticket_messages_ticket_created", table_name="support_ticket_messages")
    op.drop_table("support_ticket_messages")
    op.drop_index("ix_support_tickets_status_resolved", table_name="support_tickets")
    op.drop_index("ix_support_tickets_requester_created", table_name="support_tickets")
    op.drop_index("ix_support_tickets_created", table_name="support_tickets")
    op.drop_table("support_tickets")
