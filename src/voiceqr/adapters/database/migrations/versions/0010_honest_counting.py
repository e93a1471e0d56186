"""counting people, not requests

- playback_events: the visitor key (no IP address is stored), where the hit came from
  (source, placement, referrer host), the visitor's language and country, what the user
  agent says (device class, OS, browser, bot), whether it was the owner's own view and
  whether it starts a visit. Earlier rows count as visits by people, as they did.
- visitor_salts: the secret of each UTC day that visitor keys are made with; deleted
  after 48 hours.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TEXT_COLUMNS = (
    ("visitor", 16, ""),
    ("source", 10, "link"),
    ("placement", 40, ""),
    ("referrer_host", 255, ""),
    ("language", 8, ""),
    ("country", 2, ""),
    ("device", 10, ""),
    ("os", 60, ""),
    ("browser", 60, ""),
)
_FLAGS = (("bot", sa.false()), ("owner_view", sa.false()), ("new_visit", sa.true()))


# Plain ALTER TABLE on both engines (SQLite adds and drops columns in place): a batch
# would rebuild the table from its reflection and lose the column types of 0001.


def upgrade() -> None:
    for name, length, default in _TEXT_COLUMNS:
        column = sa.Column(name, sa.String(length=length), server_default=default, nullable=False)
        op.add_column("playback_events", column)
    for name, flag in _FLAGS:
        column = sa.Column(name, sa.Boolean(), server_default=flag, nullable=False)
        op.add_column("playback_events", column)
    op.create_index(
        "ix_playback_events_visitor",
        "playback_events",
        ["generation_id", "kind", "visitor", "occurred_at"],
    )
    op.create_table(
        "visitor_salts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("salt", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_visitor_salts")),
    )


def downgrade() -> None:
    op.drop_table("visitor_salts")
    op.drop_index("ix_playback_events_visitor", table_name="playback_events")
    for name, _ in reversed(_FLAGS):
        op.drop_column("playback_events", name)
    for name, _, _ in reversed(_TEXT_COLUMNS):
        op.drop_column("playback_events", name)
