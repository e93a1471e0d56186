"""A fresh, migrated database for one benchmark run: a temporary SQLite file, or a
PostgreSQL database created on 127.0.0.1 and dropped afterwards (as the tests do)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database import migrate
from voiceqr.adapters.database.unit_of_work import create_engine

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        host="127.0.0.1", port=5432, user="postgres", database="postgres"
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database(engine: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a new, migrated database of `engine` ("sqlite" or "postgresql"),
    removed on exit."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            sqlite = create_engine(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")
            try:
                await migrate.upgrade(sqlite)
                yield sqlite
            finally:
                await sqlite.dispose()
        return
    name = f"voiceqr_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    postgresql = create_engine(f"{POSTGRES}/{name}")
    try:
        await migrate.upgrade(postgresql)
        yield postgresql
    finally:
        await postgresql.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
