"""folders, tags and text search

Folders and tags of a user, the link tables that file generations in them, an index
of each user's live generations newest first (`ix_generations_owner_live`, what the
filtered history pages walk), and a full-text index over the text, one per engine:

- SQLite: an external-content FTS5 table `generations_fts` over `generations.text`
  (keyed on the implicit rowid, which VACUUM keeps), kept in step by three triggers.
  The unicode61 tokenizer folds case and removes diacritics. `columnsize=0`: results
  are ordered by date, never by rank, so per-row sizes would be dead weight.
- PostgreSQL: a GIN index on `to_tsvector('simple', text)`; queries use the same
  expression, so the index answers them (prefix terms included).

Neither is in `tables.metadata` (SQLAlchemy cannot describe them); the schema
comparison of tests/integration/database/shared/test_migrations.py leaves them out by name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE generations_fts USING fts5("
    "text, content='generations', content_rowid='rowid', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN "
    "INSERT INTO generations_fts(rowid, text) VALUES (new.rowid, new.text); END",
    "CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text) "
    "VALUES ('delete', old.rowid, old.text); END",
    # Every save of a generation writes its text column; only a changed text re-indexes.
    "CREATE TRIGGER generations_fts_update AFTER UPDATE OF text ON generations "
    "WHEN old.text IS NOT new.text BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text) "
    "VALUES ('delete', old.rowid, old.text); "
    "INSERT INTO generations_fts(rowid, text) VALUES (new.rowid, new.text); END",
    # Index the generations made before this migration.
    "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild')",
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS generations_fts_update",
    "DROP TRIGGER IF EXISTS generations_fts_delete",
    "DROP TRIGGER IF EXISTS generations_fts_insert",
    "DROP TABLE IF EXISTS generations_fts",
)
# Built inside the migration's transaction (not CONCURRENTLY): writes to generations wait
# while it builds, which takes seconds for hundreds of thousands of rows.
POSTGRESQL_SEARCH = (
    "CREATE INDEX ix_generations_text_search ON generations "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)
POSTGRESQL_SEARCH_DROP = "DROP INDEX IF EXISTS ix_generations_text_search"


def _labels(name: str, length: int) -> None:
    op.create_table(
        name,
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("owner_id", GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=length), nullable=False),
        sa.Column("name_key", sa.String(length=4 * length), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f(f"fk_{name}_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("owner_id", "name_key", name=f"uq_{name}_owner_name_key"),
    )


def upgrade() -> None:
    _labels("folders", 100)
    _labels("tags", 50)
    op.create_table(
        "generation_folders",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("folder_id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_folders_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["folders.id"],
            name=op.f("fk_generation_folders_folder_id_folders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("generation_id", name=op.f("pk_generation_folders")),
    )
    op.create_index(
        "ix_generation_folders_folder", "generation_folders", ["folder_id", "generation_id"]
    )
    op.create_table(
        "generation_tags",
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("tag_id", GUID(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_tags_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_generation_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("generation_id", "tag_id", name=op.f("pk_generation_tags")),
    )
    op.create_index("ix_generation_tags_tag", "generation_tags", ["tag_id", "generation_id"])

    op.create_index(
        "ix_generations_owner_live",
        "generations",
        ["owner_id", "created_at", "id"],
        sqlite_where=sa.text("deleted_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_SEARCH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_DROP:
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_SEARCH_DROP)
    op.drop_index("ix_generations_owner_live", table_name="generations")
    op.drop_index("ix_generation_tags_tag", table_name="generation_tags")
    op.drop_table("generation_tags")
    op.drop_index("ix_generation_folders_folder", table_name="generation_folders")
    op.drop_table("generation_folders")
    op.drop_table("tags")
    op.drop_table("folders")
