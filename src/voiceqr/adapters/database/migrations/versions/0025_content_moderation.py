"""content moderation: cases, flags, reports, decisions, appeals, notes

- moderation_cases: one per generation that was ever flagged or decided on: its state
  (none, flagged, quarantined, removed), since when it waits in the queue, who claimed
  it, the text revision it was reviewed fine at, when it was escalated to admins.
- moderation_flags: every flag, from staff, a visitor's report, a text filter or an
  automated rule (which rule), with its reason code and note.
- moderation_reports: visitors' reports from the playback page: reason, note, the email
  to tell the outcome (optional), a reporter key (never a raw address), the outcome.
- moderation_decisions: every decision with its reason, who took it and when; a
  sanction on the owner (warn, suspend until, ban) and how many codes it quarantined.
- moderation_appeals: the owner's one appeal per decision (a unique key), its answer.
- moderation_notes: moderators' internal notes on an item.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 13:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moderation_cases",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("claimed_by", GUID(length=16), nullable=True),
        sa.Column("claimed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("reviewed_fine_revision", sa.Integer(), nullable=True),
        sa.Column("escalated_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("last_decision_id", GUID(length=16), nullable=True),
        sa.Column("appeal_pending", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["claimed_by"],
            ["users.id"],
            name=op.f("fk_moderation_cases_claimed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_cases_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_moderation_cases_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("generation_id", name=op.f("pk_moderation_cases")),
    )
    op.create_index("ix_moderation_cases_opened", "moderation_cases", ["opened_at"])
    op.create_index("ix_moderation_cases_owner", "moderation_cases", ["owner_id"])

    op.create_table(
        "moderation_decisions",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("decided_by", GUID(length=16), nullable=True),
        sa.Column("decided_by_label", sa.String(length=254), nullable=False),
        sa.Column("decided_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sanction", sa.String(length=20), nullable=True),
        sa.Column("until", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("codes_quarantined", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_decisions_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_moderation_decisions_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_decisions")),
    )
    op.create_index("ix_moderation_decisions_decided", "moderation_decisions", ["decided_at"])
    op.create_index(
        "ix_moderation_decisions_generation_decided",
        "moderation_decisions",
        ["generation_id", "decided_at"],
    )
    op.create_index(
        "ix_moderation_decisions_owner_decided", "moderation_decisions", ["owner_id", "decided_at"]
    )

    op.create_table(
        "moderation_flags",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("rule_id", GUID(length=16), nullable=True),
        sa.Column("created_by", GUID(length=16), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_moderation_flags_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_flags_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_flags")),
    )
    op.create_index(
        "ix_moderation_flags_generation_created",
        "moderation_flags",
        ["generation_id", "created_at"],
    )
    op.create_index("ix_moderation_flags_rule", "moderation_flags", ["rule_id"])

    op.create_table(
        "moderation_notes",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("author_id", GUID(length=16), nullable=True),
        sa.Column("author_label", sa.String(length=254), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_moderation_notes_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_notes_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_notes")),
    )
    op.create_index(
        "ix_moderation_notes_generation_created",
        "moderation_notes",
        ["generation_id", "created_at"],
    )

    op.create_table(
        "moderation_reports",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("reporter_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("answered_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_reports_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_reports")),
    )
    op.create_index(
        "ix_moderation_reports_generation_created",
        "moderation_reports",
        ["generation_id", "created_at"],
    )
    op.create_index("ix_moderation_reports_reporter", "moderation_reports", ["reporter_key"])

    op.create_table(
        "moderation_appeals",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("decision_id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("answered_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("upheld", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["moderation_decisions.id"],
            name=op.f("fk_moderation_appeals_decision_id_moderation_decisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_moderation_appeals_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_moderation_appeals_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_appeals")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_moderation_appeals_decision_id")),
    )
    op.create_index("ix_moderation_appeals_generation", "moderation_appeals", ["generation_id"])


def downgrade() -> None:
    op.drop_index("ix_moderation_appeals_generation", table_name="moderation_appeals")
    op.drop_table("moderation_appeals")
    op.drop_index("ix_moderation_reports_generation_created", table_name="moderation_reports")
    op.drop_index("ix_moderation_reports_reporter", table_name="moderation_reports")
    op.drop_table("moderation_reports")
    op.drop_index("ix_moderation_notes_generation_created", table_name="moderation_notes")
    op.drop_table("moderation_notes")
    op.drop_index("ix_moderation_flags_generation_created", table_name="moderation_flags")
    op.drop_index("ix_moderation_flags_rule", table_name="moderation_flags")
    op.drop_table("moderation_flags")
    op.drop_index("ix_moderation_decisions_decided", table_name="moderation_decisions")
    op.drop_index("ix_moderation_decisions_generation_decided", table_name="moderation_decisions")
    op.drop_index("ix_moderation_decisions_owner_decided", table_name="moderation_decisions")
    op.drop_table("moderation_decisions")
    op.drop_index("ix_moderation_cases_opened", table_name="moderation_cases")
    op.drop_index("ix_moderation_cases_owner", table_name="moderation_cases")
    op.drop_table("moderation_cases")
