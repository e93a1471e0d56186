"""The schema. Alembic migrations under `migrations/` create exactly this.

advanced-alchemy's types give one column definition that works on both engines:
`GUID` (native uuid on PostgreSQL, 16 bytes on SQLite), `DateTimeUTC` (always
timezone-aware UTC, also on SQLite) and `JsonB` (jsonb on PostgreSQL).
"""

from __future__ import annotations

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200)),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("email_verified_at", DateTimeUTC),
    Column("locked_until", DateTimeUTC),
    Column("terms_accepted_at", DateTimeUTC),
    Column("totp_secret", Text),
    Column("totp_enabled_at", DateTimeUTC),
    Column("totp_last_step", BigInteger),
    Column("password_changed_at", DateTimeUTC),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("last_seen_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("idle_expires_at", DateTimeUTC, nullable=False),
    Column("id", GUID, nullable=False, unique=True),
    Column("remember_me", Boolean, nullable=False, server_default=text("false")),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Column("device", String(100), nullable=False, server_default=""),
    Column("browser", String(100), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("method", String(20), nullable=False, server_default="password"),
    Column("reauthenticated_at", DateTimeUTC),
)

voices = Table(
    "voices",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("type", String(50), nullable=False, server_default=""),
    Column("language", String(50), nullable=False, server_default=""),
    Column("region", String(50), nullable=False, server_default=""),
    Column("age", String(50), nullable=False, server_default=""),
    Column("style", String(50), nullable=False, server_default=""),
    Column("provider", String(30), nullable=False),
    Column("provider_voice_id", String(200), nullable=False),
    Column("samples", JsonB, nullable=False),
    Column("published", Boolean, nullable=False, server_default=text("false")),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
)

generations = Table(
    "generations",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("owner_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("voice_id", GUID, nullable=False),
    Column("text", Text, nullable=False),
    Column("public_code", String(64), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTimeUTC),
    Column("lease_expires_at", DateTimeUTC),
    Column("enqueued_at", DateTimeUTC),
    Column("audio_key", String(300)),
    Column("audio_bytes", BigInteger),
    Column("characters_billed", Integer, nullable=False, server_default="0"),
    Column("error_category", String(20)),
    Column("error_code", String(100)),
    Column("error_message", Text),
    Column("error_detail", Text),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC),
    Column("completed_at", DateTimeUTC),
    Column("version", Integer, nullable=False, server_default="0"),
    # A tombstone (G2): the audio is gone and the public code answers 410.
    Column("deleted_at", DateTimeUTC),
    # G3: the revision the current job makes, and the one whose audio is live.
    Column("revision", Integer, nullable=False, server_default="1"),
    Column("live_revision", Integer),
    # The owner's history, newest first.
    Index("ix_generations_owner_created", "owner_id", "created_at"),
    # The sweeper's two scans stay small: only unfinished rows are indexed by time.
    Index("ix_generations_status_next_attempt", "status", "next_attempt_at"),
    Index("ix_generations_status_lease", "status", "lease_expires_at"),
)

playback_events = Table(
    "playback_events",
    metadata,
    Column("id", GUID, primary_key=True),
    Column(
        "generation_id",
        GUID,
        ForeignKey("generations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("kind", String(10), nullable=False),
    Column("occurred_at", DateTimeUTC, nullable=False),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Index("ix_playback_events_generation_kind", "generation_id", "kind"),
)

# --- accounts: verification, recovery, security (issue "Self-service accounts") -------

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("purpose", String(30), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("data", JsonB, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("used_at", DateTimeUTC),
)

login_events = Table(
    "login_events",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE")),
    Column("email", String(254), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("method", String(20), nullable=False),
    Column("reason", String(50), nullable=False, server_default=""),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Column("device", String(100), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("occurred_at", DateTimeUTC, nullable=False),
    # A user's activity page, and the lockout count of recent failures per account.
    Index("ix_login_events_user_occurred", "user_id", "occurred_at"),
    Index("ix_login_events_occurred", "occurred_at"),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("used_at", DateTimeUTC),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JsonB, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("last_used_at", DateTimeUTC),
    Column("revoked_at", DateTimeUTC),
    Column("previous_secret_hash", String(64)),
    Column("previous_expires_at", DateTimeUTC),
)

social_identities = Table(
    "social_identities",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("provider", String(20), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("email", String(254), nullable=False, server_default=""),
    Column("created_at", DateTimeUTC, nullable=False),
    UniqueConstraint("provider", "subject", name="uq_social_identities_provider_subject"),
)

mail_outbox = Table(
    "mail_outbox",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("to", String(254), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTimeUTC, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("sent_at", DateTimeUTC),
    # The delivery job's scan: pending mail that is due.
    Index("ix_mail_outbox_status_next_attempt", "status", "next_attempt_at"),
)

# --- failures: attempt history (issue "Generation management and failure handling") ----

generation_attempts = Table(
    "generation_attempts",
    metadata,
    Column("id", GUID, primary_key=True),
    Column(
        "generation_id",
        GUID,
        ForeignKey("generations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("started_at", DateTimeUTC, nullable=False),
    Column("finished_at", DateTimeUTC),
    Column("outcome", String(20)),
    Column("error_category", String(20)),
    Column("error_code", String(100)),
    Column("error_message", Text),
    Column("error_detail", Text),
    Column("characters_billed", Integer, nullable=False, server_default="0"),
    Column("revision", Integer, nullable=False, server_default="1"),
    # One history per generation, in order; a number is never used twice.
    UniqueConstraint("generation_id", "number", name="uq_generation_attempts_generation_number"),
)

# --- generation preferences (P7-P9) ----------------------------------------------------

user_preferences = Table(
    "user_preferences",
    metadata,
    Column("user_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # No foreign key to voices: a removed voice leaves a stale id the reads ignore.
    Column("default_voice_id", GUID),
    Column("qr_size", Integer, nullable=False, server_default="512"),
    Column("draft_text", Text, nullable=False, server_default=""),
    Column("draft_voice_id", GUID),
    Column("draft_saved_at", DateTimeUTC),
    # F4 notification settings; the column is added by migration 0008.
    Column("email_generation_failed", Boolean, nullable=False, server_default=text("true")),
)

# --- generation revisions (G3) ----------------------------------------------------------

generation_revisions = Table(
    "generation_revisions",
    metadata,
    Column("id", GUID, primary_key=True),
    Column(
        "generation_id",
        GUID,
        ForeignKey("generations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("text", Text, nullable=False),
    # No foreign key to voices, like generations.voice_id: a removed voice stays named.
    Column("voice_id", GUID, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("completed_at", DateTimeUTC),
    Column("audio_key", String(300)),
    Column("audio_bytes", BigInteger),
    # The owner's list, newest first; a number is never used twice.
    UniqueConstraint("generation_id", "number", name="uq_generation_revisions_generation_number"),
)

# --- folders, tags and text search (G4, G5) ---------------------------------------------
# Names are unique per owner by `name_key` (case-folded, see domain.organising.name_key);
# the key may be longer than the name ("ß" folds to "ss"). A generation's folder and tags
# live in link tables, so moving or tagging never touches (or version-bumps) the
# generation row a worker may be saving. The text search index is not in this metadata:
# migration 0007 creates it per engine (SQLite: the FTS5 table `generations_fts` and its
# triggers; PostgreSQL: the GIN expression index `ix_generations_text_search`). A later
# SQLite batch migration that re-creates `generations` drops those triggers with it and
# must create them again (see 0007's `SQLITE_SEARCH`).


def _label_table(name: str, length: int) -> Table:
    """Folders and tags have the same shape; the unique key also serves per-owner lists."""
    return Table(
        name,
        metadata,
        Column("id", GUID, primary_key=True),
        Column("owner_id", GUID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        Column("name", String(length), nullable=False),
        Column("name_key", String(4 * length), nullable=False),
        Column("created_at", DateTimeUTC, nullable=False),
        UniqueConstraint("owner_id", "name_key", name=f"uq_{name}_owner_name_key"),
    )


folders = _label_table("folders", 100)
tags = _label_table("tags", 50)

# The history page walks a user's live generations newest first (G1, G5): with `id` in the
# index the tie-break order needs no sort, and the folder, tag and text filters test each
# entry against their matching ids (see adapters/database/organising.filter_conditions).
Index(
    "ix_generations_owner_live",
    generations.c.owner_id,
    generations.c.created_at,
    generations.c.id,
    sqlite_where=generations.c.deleted_at.is_(None),
    postgresql_where=generations.c.deleted_at.is_(None),
)

generation_folders = Table(
    "generation_folders",
    metadata,
    # One folder per generation: the generation is the key.
    Column(
        "generation_id",
        GUID,
        ForeignKey("generations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # Deleting a folder leaves its generations in no folder.
    Column("folder_id", GUID, ForeignKey("folders.id", ondelete="CASCADE"), nullable=False),
    # The folder filter and the per-folder counts.
    Index("ix_generation_folders_folder", "folder_id", "generation_id"),
)

generation_tags = Table(
    "generation_tags",
    metadata,
    Column(
        "generation_id",
        GUID,
        ForeignKey("generations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("tag_id", GUID, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # The tag filter and the per-tag counts.
    Index("ix_generation_tags_tag", "tag_id", "generation_id"),
)

# --- audit log, failure alerts, notification settings (F4, F6) ---------------------------

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("occurred_at", DateTimeUTC, nullable=False),
    # The label keeps who it was after the account is gone; None: an operator at the CLI.
    Column("actor_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("actor", String(254), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target_type", String(50), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("details", JsonB, nullable=False),
    Column("ip", String(64), nullable=False, server_default=""),
    # Newest first, whole log or by action or actor (keyset paging on occurred_at, id).
    Index("ix_audit_events_occurred", "occurred_at", "id"),
    Index("ix_audit_events_action_occurred", "action", "occurred_at"),
    Index("ix_audit_events_actor_occurred", "actor", "occurred_at"),
)

# When each alert last fired: the compare-and-set that keeps workers from repeating it.
alert_states = Table(
    "alert_states",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("fired_at", DateTimeUTC, nullable=False),
    Column("details", JsonB, nullable=False),
)

# The failure dashboard and the alert count attempts by when they finished (F6).
Index("ix_generation_attempts_finished_at", generation_attempts.c.finished_at)

# When each periodic job runs next: the compare-and-set that runs it once per period
# across every worker.
job_schedules = Table(
    "job_schedules",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("next_run_at", DateTimeUTC, nullable=False),
)
