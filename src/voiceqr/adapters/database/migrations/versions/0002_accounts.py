"""accounts: verification, lockout, sessions, 2FA, API keys, social sign-in, mail outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:16:23.276255
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_outbox",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("to", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("sent_at", DateTimeUTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mail_outbox_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "account_tokens",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("data", JsonB, nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("expires_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", JsonB, nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("last_used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("revoked_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("previous_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("previous_expires_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_events",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=50), server_default="", nullable=False),
        sa.Column("ip", sa.String(length=64), server_default="", nullable=False),
        sa.Column("user_agent", sa.String(length=500), server_default="", nullable=False),
        sa.Column("device", sa.String(length=100), server_default="", nullable=False),
        sa.Column("country", sa.String(length=2), server_default="", nullable=False),
        sa.Column("occurred_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_events")),
    )
    with op.batch_alter_table("login_events", schema=None) as batch_op:
        batch_op.create_index("ix_login_events_occurred", ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_login_events_user_occurred", ["user_id", "occurred_at"], unique=False
        )

    op.create_table(
        "recovery_codes",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("used_at", DateTimeUTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "social_identities",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("user_id", GUID(length=16), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_social_identities_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_identities")),
        sa.UniqueConstraint("provider", "subject", name="uq_social_identities_provider_subject"),
    )
    with op.batch_alter_table("social_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_social_identities_user_id"), ["user_id"], unique=False)

    # Sessions gain a public id that old rows lack: everyone signs in again once.
    op.execute("DELETE FROM sessions")
    with op.batch_alter_table(
        "sessions",
        reflect_args=(
            sa.Column(
                "user_id",
                GUID(length=16),
                sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_sessions_user_id_users"),
                nullable=False,
            ),
        ),
    ) as batch_op:
        batch_op.add_column(sa.Column("id", GUID(length=16), nullable=False))
        batch_op.add_column(
            sa.Column("remember_me", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("ip", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("device", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("browser", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("country", sa.String(length=2), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("method", sa.String(length=20), server_default="password", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reauthenticated_at", DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(batch_op.f("uq_sessions_id"), ["id"])

    with op.batch_alter_table(
        "users", reflect_args=(sa.Column("id", GUID(length=16), primary_key=True),)
    ) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="active", nullable=False)
        )
        batch_op.add_column(
            sa.Column("email_verified_at", DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("locked_until", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("terms_accepted_at", DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("password_changed_at", DateTimeUTC(timezone=True), nullable=True)
        )
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=200), nullable=True)
    # Accounts made by operators before self-service count as verified.
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade() -> None:
    # Social-only accounts get an unusable hash: they sign in again after an upgrade.
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    with op.batch_alter_table(
        "users", reflect_args=(sa.Column("id", GUID(length=16), primary_key=True),)
    ) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("terms_accepted_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("email_verified_at")
        batch_op.drop_column("status")

    with op.batch_alter_table(
        "sessions",
        reflect_args=(
            sa.Column(
                "user_id",
                GUID(length=16),
                sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_sessions_user_id_users"),
                nullable=False,
            ),
        ),
    ) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sessions_id"), type_="unique")
        batch_op.drop_column("reauthenticated_at")
        batch_op.drop_column("method")
        batch_op.drop_column("country")
        batch_op.drop_column("browser")
        batch_op.drop_column("device")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
        batch_op.drop_column("remember_me")
        batch_op.drop_column("id")

    with op.batch_alter_table("social_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_social_identities_user_id"))

    op.drop_table("social_identities")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))

    op.drop_table("recovery_codes")
    with op.batch_alter_table("login_events", schema=None) as batch_op:
        batch_op.drop_index("ix_login_events_user_occurred")
        batch_op.drop_index("ix_login_events_occurred")

    op.drop_table("login_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tokens_user_id"))

    op.drop_table("account_tokens")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_outbox_status_next_attempt")

    op.drop_table("mail_outbox")
