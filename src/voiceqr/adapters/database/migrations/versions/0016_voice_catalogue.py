"""voice catalogue: accents, use cases, tags and categories, who made and changed a
voice, sample ids, and voice names unique per provider

- voices: accent, use_cases, tags, categories (JSON lists), created_by(_name) and
  updated_by(_name) (no foreign key: the name stays when the account goes).
- every stored sample gets an id (the samples are listed, reordered and deleted by it)
  and a duration (0: not measured).
- two voices of one provider with the same name in any case: the later ones are renamed
  "Name (2)", "Name (3)"... before the unique index on (provider, lower(name)) is made;
  a priority outside -1,000,000..1,000,000 is brought inside it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:00:00.000000
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import GUID, JsonB
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_PRIORITY_MIN, _PRIORITY_MAX = -1_000_000, 1_000_000
_NAME_MAX = 100

_voices = sa.table(
    "voices",
    sa.column("id", GUID(length=16)),
    sa.column("name", sa.String()),
    sa.column("provider", sa.String()),
    sa.column("samples", JsonB),
    sa.column("priority", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
)


def upgrade() -> None:
    # Plain ALTER TABLE on both engines: a batch would copy the table on SQLite, and
    # the copy reads its id column back as NUMERIC.
    op.add_column(
        "voices", sa.Column("accent", sa.String(length=50), server_default="", nullable=False)
    )
    for name in ("use_cases", "tags", "categories"):
        op.add_column("voices", sa.Column(name, JsonB, server_default="[]", nullable=False))
    for mark in ("created_by", "updated_by"):
        op.add_column("voices", sa.Column(mark, GUID(length=16), nullable=True))
        op.add_column(
            "voices",
            sa.Column(f"{mark}_name", sa.String(length=200), server_default="", nullable=False),
        )

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            _voices.c.id, _voices.c.name, _voices.c.provider, _voices.c.samples, _voices.c.priority
        ).order_by(_voices.c.created_at, _voices.c.id)
    ).all()
    taken: set[tuple[str, str]] = set()
    for voice_id, name, provider, samples, priority in rows:
        values: dict[str, Any] = {
            "samples": [
                {
                    "id": str(sample.get("id") or uuid.uuid4()),
                    "key": sample["key"],
                    "label": sample.get("label", "Sample"),
                    "duration_ms": int(sample.get("duration_ms", 0)),
                }
                for sample in samples or []
            ],
            "priority": min(max(priority, _PRIORITY_MIN), _PRIORITY_MAX),
        }
        unique = name
        number = 1
        while (provider, unique.lower()) in taken:
            number += 1
            suffix = f" ({number})"
            unique = name[: _NAME_MAX - len(suffix)] + suffix
        taken.add((provider, unique.lower()))
        if unique != name:
            values["name"] = unique
        connection.execute(sa.update(_voices).where(_voices.c.id == voice_id).values(values))

    op.create_index(
        "uq_voices_provider_name",
        "voices",
        ["provider", sa.text("lower(name)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_voices_provider_name", table_name="voices")
    connection = op.get_bind()
    for voice_id, samples in connection.execute(sa.select(_voices.c.id, _voices.c.samples)).all():
        connection.execute(
            sa.update(_voices)
            .where(_voices.c.id == voice_id)
            .values(
                samples=[
                    {"key": s["key"], "label": s.get("label", "Sample")} for s in samples or []
                ]
            )
        )
    for column in (
        "updated_by_name",
        "updated_by",
        "created_by_name",
        "created_by",
        "categories",
        "tags",
        "use_cases",
        "accent",
    ):
        op.drop_column("voices", column)
