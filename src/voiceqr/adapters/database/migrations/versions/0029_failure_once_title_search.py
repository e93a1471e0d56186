"""generations: the owner is told of a failure once; the history search reads titles

- `failure_notified_at`: when the owner was first told the generation failed for good
  (mail, digest line or notice). Set once, by a conditional UPDATE in the transaction
  that tells them, so a generation retried and failing again is not told twice. NULL
  for every existing row: a generation that failed before this migration may be told
  once more if it fails again.
- The text search index of 0007 is made again over the title and the text, so a
  search finds a generation by the name its owner gave it:
  - SQLite: the FTS5 table `generations_fts` gets a `title` column (the table and its
    triggers are dropped and created again, then rebuilt from `generations`);
  - PostgreSQL: the GIN expression index `ix_generations_text_search` is built on
    `coalesce(title, '') || ' ' || text` (organising.py queries the same expression).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE generations_fts USING fts5("
    "text, title, content='generations', content_rowid='rowid', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN "
    "INSERT INTO generations_fts(rowid, text, title) "
    "VALUES (new.rowid, new.text, new.title); END",
    "CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text, title) "
    "VALUES ('delete', old.rowid, old.text, old.title); END",
    # Every save of a generation writes its text column; only a changed text or title
    # re-indexes.
    "CREATE TRIGGER generations_fts_update AFTER UPDATE OF text, title ON generations "
    "WHEN old.text IS NOT new.text OR old.title IS NOT new.title BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text, title) "
    "VALUES ('delete', old.rowid, old.text, old.title); "
    "INSERT INTO generations_fts(rowid, text, title) "
    "VALUES (new.rowid, new.text, new.title); END",
    "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild')",
)
POSTGRESQL_SEARCH = (
    "CREATE INDEX ix_generations_text_search ON generations "
    "USING gin (to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || text))"
)

# The index of 0007 (the text only), as it made it: a migration stays as it shipped, so
# its statements are copied here rather than imported.
SQLITE_TEXT_SEARCH = (
    "CREATE VIRTUAL TABLE generations_fts USING fts5("
    "text, content='generations', content_rowid='rowid', columnsize=0, "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER generations_fts_insert AFTER INSERT ON generations BEGIN "
    "INSERT INTO generations_fts(rowid, text) VALUES (new.rowid, new.text); END",
    "CREATE TRIGGER generations_fts_delete AFTER DELETE ON generations BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text) "
    "VALUES ('delete', old.rowid, old.text); END",
    "CREATE TRIGGER generations_fts_update AFTER UPDATE OF text ON generations "
    "WHEN old.text IS NOT new.text BEGIN "
    "INSERT INTO generations_fts(generations_fts, rowid, text) "
    "VALUES ('delete', old.rowid, old.text); "
    "INSERT INTO generations_fts(rowid, text) VALUES (new.rowid, new.text); END",
    "INSERT INTO generations_fts(generations_fts) VALUES ('rebuild')",
)
POSTGRESQL_TEXT_SEARCH = (
    "CREATE INDEX ix_generations_text_search ON generations "
    "USING gin (to_tsvector('simple'::regconfig, text))"
)
SQLITE_SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS generations_fts_update",
    "DROP TRIGGER IF EXISTS generations_fts_delete",
    "DROP TRIGGER IF EXISTS generations_fts_insert",
    "DROP TABLE IF EXISTS generations_fts",
)
POSTGRESQL_SEARCH_DROP = "DROP INDEX IF EXISTS ix_generations_text_search"


def _search(sqlite: tuple[str, ...], postgresql: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in (*SQLITE_SEARCH_DROP, *sqlite):
            op.execute(statement)
    else:
        op.execute(POSTGRESQL_SEARCH_DROP)
        op.execute(postgresql)


def upgrade() -> None:
    op.add_column(
        "generations", sa.Column("failure_notified_at", DateTimeUTC(timezone=True), nullable=True)
    )
    _search(SQLITE_SEARCH, POSTGRESQL_SEARCH)


def downgrade() -> None:
    _search(SQLITE_TEXT_SEARCH, POSTGRESQL_TEXT_SEARCH)
    op.drop_column("generations", "failure_notified_at")
