"""Alembic environment: runs on the connection `voiceqr.adapters.database.migrate` passes in."""

from __future__ import annotations

from alembic import context

from voiceqr.adapters.database.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
