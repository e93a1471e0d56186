"""notification settings, in-app notices and the daily failure digest

- notification_settings: one row per user who changed a notification setting: the
  failure mail (each | digest | off), ticket replies, product news and the weekly scans
  summary by mail, and each of them in the app.
  user_preferences.email_generation_failed moves here (true -> each, false -> off).
- notices: the in-app notices (read or not).
- mail_digest_items: failures kept for a user's next daily digest.
- mail_outbox.headers: extra headers of a message (one-click unsubscribe).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 13:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _user_id(table: str, *, primary_key: bool = False) -> list[Any]:
    return [
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        *([sa.PrimaryKeyConstraint("user_id", name=op.f(f"pk_{table}"))] if primary_key else []),
    ]


def upgrade() -> None:
    on, off = sa.text("true"), sa.text("false")
    op.create_table(
        "notification_settings",
        *_user_id("notification_settings", primary_key=True),
        sa.Column("generation_failed_mail", sa.String(10), server_default="each", nullable=False),
        sa.Column("generation_failed_in_app", sa.Boolean(), server_default=on, nullable=False),
        sa.Column("ticket_reply_mail", sa.Boolean(), server_default=on, nullable=False),
        sa.Column("ticket_reply_in_app", sa.Boolean(), server_default=on, nullable=False),
        sa.Column("product_news_mail", sa.Boolean(), server_default=off, nullable=False),
        sa.Column("product_news_in_app", sa.Boolean(), server_default=off, nullable=False),
        sa.Column("scans_summary_mail", sa.Boolean(), server_default=off, nullable=False),
        sa.Column("scans_summary_in_app", sa.Boolean(), server_default=off, nullable=False),
    )
    op.execute(
        "INSERT INTO notification_settings (user_id, generation_failed_mail) "
        "SELECT user_id, CASE WHEN email_generation_failed THEN 'each' ELSE 'off' END "
        "FROM user_preferences"
    )
    # A plain DROP COLUMN (SQLite has it since 3.35): batch mode would copy the table
    # and read its GUID columns back as numbers.
    op.drop_column("user_preferences", "email_generation_failed")
    op.create_table(
        "notices",
        sa.Column("id", GUID(length=16), nullable=False),
        *_user_id("notices"),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("read_at", DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_user_id_id", "notices", ["user_id", "id"])
    op.create_index("ix_notices_user_unread", "notices", ["user_id", "read_at"])
    op.create_table(
        "mail_digest_items",
        sa.Column("id", GUID(length=16), nullable=False),
        *_user_id("mail_digest_items"),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_digest_items")),
    )
    op.create_index("ix_mail_digest_items_user_id", "mail_digest_items", ["user_id"])
    op.create_index("ix_mail_digest_items_created_at", "mail_digest_items", ["created_at"])
    op.add_column("mail_outbox", sa.Column("headers", JsonB, server_default="{}", nullable=False))


def downgrade() -> None:
    op.drop_column("mail_outbox", "headers")
    op.drop_index("ix_mail_digest_items_created_at", table_name="mail_digest_items")
    op.drop_index("ix_mail_digest_items_user_id", table_name="mail_digest_items")
    op.drop_table("mail_digest_items")
    op.drop_index("ix_notices_user_unread", table_name="notices")
    op.drop_index("ix_notices_user_id_id", table_name="notices")
    op.drop_table("notices")
    op.add_column(
        "user_preferences",
        sa.Column(
            "email_generation_failed", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    # A digest goes back to each mail: the old setting was yes or no.
    op.execute(
        "UPDATE user_preferences SET email_generation_failed = false WHERE user_id IN "
        "(SELECT user_id FROM notification_settings WHERE generation_failed_mail = 'off')"
    )
    op.drop_table("notification_settings")
