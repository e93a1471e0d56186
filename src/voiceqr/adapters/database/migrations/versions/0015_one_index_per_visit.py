"""playback events: one index fewer to write per scan

ix_playback_events_generation_kind (generation_id, kind) is the first two columns of
ix_playback_events_visitor (generation_id, kind, visitor, occurred_at), which answers
every query the shorter one did; each stored scan wrote both.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 08:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_playback_events_generation_kind", table_name="playback_events")


def downgrade() -> None:
    op.create_index(
        "ix_playback_events_generation_kind", "playback_events", ["generation_id", "kind"]
    )
