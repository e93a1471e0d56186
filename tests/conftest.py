"""Shared fixtures: real services for integration tests, with the CI rule.

A test that needs a service it cannot reach fails when CI=true and skips, with the
reason, anywhere else.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine

POSTGRES_HOST = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("TEST_POSTGRES_PORT", "5432"))
POSTGRES_USER = os.environ.get("TEST_POSTGRES_USER", "postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_missing(reason: str) -> None:
    """Fail in CI, skip elsewhere: nothing service-backed may silently skip in CI."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_url(database: str) -> str:
    return f"postgresql+asyncpg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{database}"


async def _admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, database="postgres"
    )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database; each test copies it (fast) instead of migrating."""
    if not reachable(POSTGRES_HOST, POSTGRES_PORT):
        service_missing(f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}")
    from voiceqr.adapters.database import migrate
    from voiceqr.adapters.database.unit_of_work import create_engine

    name = f"voiceqr_tpl_{uuid.uuid4().hex[:10]}"

    async def make() -> None:
        await _admin(f'CREATE DATABASE "{name}"')
        engine = create_engine(postgres_url(name))
        await migrate.upgrade(engine)
        await engine.dispose()

    asyncio.run(make())
    yield name
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_postgres(postgres_template: str) -> Iterator[str]:
    """The URL of a new, migrated PostgreSQL database, dropped after the test."""
    name = f"voiceqr_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    yield postgres_url(name)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> str:
    """The URL of a new, migrated SQLite database file."""
    from voiceqr.adapters.database import migrate
    from voiceqr.adapters.database.unit_of_work import create_engine

    url = f"sqlite+aiosqlite:///{tmp_path / 'voiceqr.db'}"

    async def make() -> None:
        engine = create_engine(url)
        await migrate.upgrade(engine)
        await engine.dispose()

    asyncio.run(make())
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test on a migrated SQLite file and on a migrated PostgreSQL database."""
    fixture = "fresh_sqlite" if request.param == "sqlite" else "fresh_postgres"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """Units of work on `database_url` (so on both engines), disposed after the test."""
    factory = SqlUnitOfWorkFactory(create_engine(database_url))
    try:
        yield factory
    finally:
        await factory.dispose()


@pytest.fixture
def redis_url() -> str:
    """A Redis database for tests, emptied before use."""
    host, port = "127.0.0.1", 6379
    if not reachable(host, port):
        service_missing(f"Redis is not reachable at {host}:{port}")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return CHROMIUM
