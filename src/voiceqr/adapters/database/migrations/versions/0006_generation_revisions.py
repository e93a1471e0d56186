"""generation revisions: every text and voice a generation was made with

Adds `generation_revisions`, the generation's current `revision` and `live_revision`
(whose audio the public code plays), and the revision each attempt was for. Every
existing generation gets its revision 1 from its own row, with its audio if it has
some, so its history and playback stay as they were.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 21:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("live_revision", sa.Integer(), nullable=True))
    with op.batch_alter_table("generation_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
    revisions = op.create_table(
        "generation_revisions",
        sa.Column("id", GUID(length=16), nullable=False),
        sa.Column("generation_id", GUID(length=16), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("voice_id", GUID(length=16), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("completed_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("audio_key", sa.String(length=300), nullable=True),
        sa.Column("audio_bytes", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["generation_id"],
            ["generations.id"],
            name=op.f("fk_generation_revisions_generation_id_generations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generation_revisions")),
        sa.UniqueConstraint(
            "generation_id", "number", name="uq_generation_revisions_generation_number"
        ),
    )
    _backfill_first_revisions(revisions)


def _backfill_first_revisions(revisions: sa.Table) -> None:
    """Revision 1 of every generation, in batches so a large table is never all in memory."""
    generations = sa.table(
        "generations",
        sa.column("id", GUID(length=16)),
        sa.column("text", sa.Text()),
        sa.column("voice_id", GUID(length=16)),
        sa.column("status", sa.String()),
        sa.column("created_at", DateTimeUTC(timezone=True)),
        sa.column("completed_at", DateTimeUTC(timezone=True)),
        sa.column("audio_key", sa.String()),
        sa.column("audio_bytes", sa.BigInteger()),
        sa.column("live_revision", sa.Integer()),
    )
    g = generations.c
    connection = op.get_bind()
    last: uuid.UUID | None = None
    while True:
        query = sa.select(generations).order_by(g.id).limit(_BATCH)
        if last is not None:
            query = query.where(g.id > last)
        rows = connection.execute(query).mappings().all()
        if not rows:
            break
        connection.execute(
            revisions.insert(),
            [
                {
                    "id": uuid.uuid4(),
                    "generation_id": row["id"],
                    "number": 1,
                    "text": row["text"],
                    "voice_id": row["voice_id"],
                    "created_at": row["created_at"],
                    # A deleted completed generation keeps its completion, not its audio.
                    "completed_at": row["completed_at"] if row["status"] == "completed" else None,
                    "audio_key": row["audio_key"],
                    "audio_bytes": row["audio_bytes"],
                }
                for row in rows
            ],
        )
        last = rows[-1]["id"]
    connection.execute(
        sa.update(generations).where(g.audio_key.is_not(None)).values(live_revision=1)
    )


def downgrade() -> None:
    op.drop_table("generation_revisions")
    with op.batch_alter_table("generation_attempts", schema=None) as batch_op:
        batch_op.drop_column("revision")
    with op.batch_alter_table("generations", schema=None) as batch_op:
        batch_op.drop_column("live_revision")
        batch_op.drop_column("revision")
