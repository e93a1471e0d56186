"""The content moderation tables (read and written by `moderation.py`).

Everything here belongs to a generation and goes with it (deleted with the account);
a staff member who leaves leaves their decisions, flags and notes in place without them.
"""

from __future__ import annotations

from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from voiceqr.adapters.database.shared import belongs_to, metadata


def _staff(name: str) -> Column[Any]:
    return Column(name, GUID, ForeignKey("users.id", ondelete="SET NULL"))


moderation_cases = Table(
    "moderation_cases",
    metadata,
    Column(
        "generation_id", GUID, ForeignKey("generations.id", ondelete="CASCADE"), primary_key=True
    ),
    belongs_to("owner_id", "users", nullable=False),
    Column("state", String(20), nullable=False),
    Column("opened_at", DateTimeUTC),
    _staff("claimed_by"),
    Column("claimed_at", DateTimeUTC),
    Column("reviewed_fine_revision", Integer),
    Column("escalated_at", DateTimeUTC),
    Column("last_decision_id", GUID),
    Column("appeal_pending", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    # The queue (waiting cases, longest waiting first); an owner's cases (a ban).
    Index("ix_moderation_cases_opened", "opened_at"),
    Index("ix_moderation_cases_owner", "owner_id"),
)

moderation_flags = Table(
    "moderation_flags",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("source", String(20), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("rule_id", GUID),  # the automated rule that fired, if one did
    _staff("created_by"),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_moderation_flags_generation_created", "generation_id", "created_at"),
    Index("ix_moderation_flags_rule", "rule_id"),
)

content_reports = Table(
    "moderation_reports",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("reason", String(30), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("email", String(254)),
    Column("reporter_key", String(64), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("outcome", String(20)),
    Column("answered_at", DateTimeUTC),
    Index("ix_moderation_reports_generation_created", "generation_id", "created_at"),
    Index("ix_moderation_reports_reporter", "reporter_key"),
)

moderation_decisions = Table(
    "moderation_decisions",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    belongs_to("owner_id", "users", nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reason_code", String(30)),
    Column("reason", String(500), nullable=False),
    _staff("decided_by"),
    Column("decided_by_label", String(254), nullable=False),
    Column("decided_at", DateTimeUTC, nullable=False),
    Column("sanction", String(20)),
    Column("until", DateTimeUTC),
    Column("codes_quarantined", Integer, nullable=False, server_default="0"),
    Index("ix_moderation_decisions_generation_decided", "generation_id", "decided_at"),
    Index("ix_moderation_decisions_owner_decided", "owner_id", "decided_at"),
    Index("ix_moderation_decisions_decided", "decided_at"),
)

moderation_appeals = Table(
    "moderation_appeals",
    metadata,
    Column("id", GUID, primary_key=True),
    # One appeal per decision: the unique key is the rule, not a check before writing.
    Column(
        "decision_id",
        GUID,
        ForeignKey("moderation_decisions.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    belongs_to("generation_id", "generations", nullable=False),
    belongs_to("owner_id", "users", nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("answered_at", DateTimeUTC),
    Column("upheld", Boolean),
    Index("ix_moderation_appeals_generation", "generation_id"),
)

moderation_notes = Table(
    "moderation_notes",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    _staff("author_id"),
    Column("author_label", String(254), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_moderation_notes_generation_created", "generation_id", "created_at"),
)
