"""A fresh, migrated database for one benchmark run: a temporary SQLite file, or a
PostgreSQL database created on 127.0.0.1 and dropped afterwards (as the tests do); or
a kept one, made on the first run and found again on the next (a benchmark whose
filling takes minutes)."""

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


@asynccontextmanager
async def kept_database(engine: str, name: str) -> AsyncIterator[tuple[AsyncEngine, bool]]:
    """An engine on the database of `engine` kept under `name` (a PostgreSQL database
    `voiceqr_bench_keep_<name>`, a SQLite file `voiceqr-bench-<name>.db` in the
    temporary directory), migrated to the newest revision, and whether it was there
    before; it is kept on exit."""
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"--keep {name!r}: letters, digits and _ only")
    if engine == "sqlite":
        path = Path(tempfile.gettempdir()) / f"voiceqr-bench-{name}.db"
        existed = path.exists()
        kept = create_engine(f"sqlite+aiosqlite:///{path}")
    else:
        import asyncpg

        database = f"voiceqr_bench_keep_{name.lower()}"
        connection = await asyncpg.connect(
            host="127.0.0.1", port=5432, user="postgres", database="postgres"
        )
        try:
            existed = bool(
                await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
            )
        finally:
            await connection.close()
        if not existed:
            await _admin(f'CREATE DATABASE "{database}"')
        kept = create_engine(f"{POSTGRES}/{database}")
    try:
        await migrate.upgrade(kept)
        yield kept, existed
    finally:
        await kept.dispose()
