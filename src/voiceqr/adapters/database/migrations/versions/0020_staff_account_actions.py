"""staff account actions: the user list's prefix search, and a user's audit entries

The backoffice's user list finds accounts by a prefix of the email or of the name in
any case. Emails are stored in lower case; names are compared lower-cased. PostgreSQL
answers `LIKE 'prefix%'` from a btree index only with text_pattern_ops (the database's
collation is not C); SQLite from an index in NOCASE order. These indexes are
engine-specific, so `schema.metadata` does not describe them (the migrations test
leaves them out of its comparison).

The audit log gains an index by target, for a user's timeline and the "changes made
by support" on their security page; the mail outbox one by recipient, for the mail
in that timeline.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 11:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PREFIX_INDEXES = ("ix_users_email_prefix", "ix_users_name_prefix")


def upgrade() -> None:
    op.create_index("ix_mail_outbox_to_created", "mail_outbox", ["to", "created_at"])
    op.create_index(
        "ix_audit_events_target_occurred",
        "audit_events",
        ["target_type", "target_id", "occurred_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_users_email_prefix ON users (email text_pattern_ops)")
        op.execute("CREATE INDEX ix_users_name_prefix ON users (lower(name) text_pattern_ops)")
    else:
        op.execute("CREATE INDEX ix_users_email_prefix ON users (email COLLATE NOCASE)")
        op.execute("CREATE INDEX ix_users_name_prefix ON users (lower(name))")


def downgrade() -> None:
    for name in PREFIX_INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.drop_index("ix_audit_events_target_occurred", table_name="audit_events")
    op.drop_index("ix_mail_outbox_to_created", table_name="mail_outbox")
