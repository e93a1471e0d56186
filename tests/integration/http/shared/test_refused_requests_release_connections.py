"""Refused requests never leave a database connection or a transaction behind.

Routes that need both the user and the session resolve two dependencies. When one is
refused (403 for an API key on a session-only route, 401 for a bad cookie) the other
must still end its transaction and give its connection back; on the embedded SQLite
database a connection abandoned inside `BEGIN IMMEDIATE` holds the write lock for
good, and every later write then waits 30 s and fails.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.http_helpers import Agent, RunningApp, embedded_app
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory

pytestmark = pytest.mark.asyncio(loop_scope="module")

SESSION_ONLY = ("/api/v1/me/sessions", "/api/v1/me/login-activity")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    async with embedded_app(tmp_path_factory.mktemp("voiceqr-release")) as running:
        yield running


def engine_of(app: RunningApp) -> AsyncEngine:
    return app.uow.engine


def checked_out(app: RunningApp) -> int:
    return int(engine_of(app).pool.checkedout())  # type: ignore[attr-defined]


@contextlib.contextmanager
def abandoned_connections(engine: AsyncEngine) -> Iterator[list[object]]:
    """Connections the pool had to throw away (a cleanup that never ran) meanwhile."""
    thrown: list[object] = []

    def note(connection: object, *_: object) -> None:
        thrown.append(connection)

    event.listen(engine.sync_engine, "invalidate", note)
    event.listen(engine.sync_engine, "soft_invalidate", note)
    try:
        yield thrown
    finally:
        event.remove(engine.sync_engine, "invalidate", note)
        event.remove(engine.sync_engine, "soft_invalidate", note)


async def api_key(agent: Agent) -> str:
    response = await agent.post("/api/v1/me/api-keys", json={"name": "ci", "scopes": ["read"]})
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


async def test_refused_requests_beside_writes_leave_no_connection_and_no_write_waits(
    app: RunningApp,
) -> None:
    writer = await app.new_user("writer@example.com")
    key = await api_key(await app.new_user("keyholder@example.com"))
    anonymous = app.anonymous

    async def refused(n: int) -> int:
        path = SESSION_ONLY[n % len(SESSION_ONLY)]
        if n % 2:
            response = await anonymous.get(path, headers={"Authorization": f"Bearer {key}"})
        else:
            response = await anonymous.get(path, headers={"Cookie": f"voiceqr_session=bad{n}"})
        return response.status_code

    async def write(n: int) -> int:
        response = await writer.request(
            "PUT", "/api/v1/me/draft", json={"text": f"draft {n}", "voice_id": None}
        )
        return response.status_code

    # Each write gets far less than SQLite's 30 s busy timeout: a leaked write lock
    # would make it wait out that timeout and fail.
    with abandoned_connections(engine_of(app)) as thrown:
        statuses = await asyncio.wait_for(
            asyncio.gather(*(refused(n) for n in range(120)), *(write(n) for n in range(30))),
            timeout=20,
        )
        await asyncio.sleep(0.1)  # responses are out; cleanups have had their turn
    assert thrown == []
    refused_statuses, write_statuses = statuses[:120], statuses[120:]
    assert set(refused_statuses) <= {401, 403}, refused_statuses
    assert set(write_statuses) == {200}, write_statuses
    assert checked_out(app) == 0
    response = await writer.request(
        "PUT", "/api/v1/me/draft", json={"text": "after", "voice_id": None}
    )
    assert response.status_code == 200, response.text


async def test_readiness_stays_green_after_refused_requests(app: RunningApp) -> None:
    key = await api_key(await app.new_user("ready@example.com"))
    with abandoned_connections(engine_of(app)) as thrown:
        for n in range(20):
            await app.anonymous.get(
                "/api/v1/me/sessions", headers={"Authorization": f"Bearer {key}"}
            )
            await app.anonymous.get(
                "/api/v1/me/sessions", headers={"Cookie": f"voiceqr_session=bad{n}"}
            )
    assert thrown == []
    response = await app.anonymous.get("/readyz")
    assert response.status_code == 200, response.text
    assert checked_out(app) == 0


def test_a_cancelled_unit_of_work_still_ends_its_transaction(tmp_path: Path) -> None:
    """Cancelled while it runs, the unit of work finishes, rolls back what it did not
    commit and closes; then the cancellation lands."""
    import anyio

    from voiceqr.adapters.database import migrate
    from voiceqr.adapters.database.unit_of_work import create_engine

    async def scenario() -> int:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        await migrate.upgrade(engine)
        factory = SqlUnitOfWorkFactory(engine)

        async def holds_a_transaction() -> None:
            async with factory() as uow:
                await uow.users.get_by_email("nobody@example.com")
                await anyio.sleep(0.2)  # still working when the other is refused

        async def fails() -> None:
            await anyio.sleep(0.05)
            raise ValueError("refused")

        async def side_by_side() -> None:
            async with anyio.create_task_group() as group:
                group.start_soon(holds_a_transaction)
                group.start_soon(fails)

        with abandoned_connections(engine) as thrown, pytest.raises(ExceptionGroup):
            await side_by_side()
        left = int(engine.pool.checkedout()) + len(thrown)  # type: ignore[attr-defined]
        async with factory() as uow:  # would wait for the lock if the first still held it
            await uow.users.get_by_email("nobody@example.com")
        await engine.dispose()
        return left

    assert asyncio.run(asyncio.wait_for(scenario(), timeout=10)) == 0


def test_a_unit_of_work_cancelled_in_the_middle_of_a_statement_keeps_its_connection(
    tmp_path: Path,
) -> None:
    """Litestar resolves a route's dependencies side by side and cancels the others when
    one is refused, wherever they are: also in the middle of a statement. SQLAlchemy
    throws away a connection whose statement was cut off, and on SQLite the one it left
    behind fought the next one for the write lock (under schemathesis, the analytics
    routes' period refused beside the user's lookup stopped the server for 30 s at a
    time). So a unit of work, once begun, runs to its end; the cancellation lands after."""
    import anyio

    from voiceqr.adapters.database import migrate
    from voiceqr.adapters.database.unit_of_work import create_engine

    async def scenario() -> tuple[list[object], int, int]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        await migrate.upgrade(engine)
        factory = SqlUnitOfWorkFactory(engine)
        finished = 0

        async def reads() -> None:
            nonlocal finished
            async with factory() as uow:
                for _ in range(20):
                    await uow.users.get_by_email("nobody@example.com")
            finished += 1

        async def refused(delay: float) -> None:
            await anyio.sleep(delay)
            raise ValueError("refused")

        async def side_by_side(delay: float) -> None:
            async with anyio.create_task_group() as group:
                group.start_soon(reads)
                group.start_soon(refused, delay)

        with abandoned_connections(engine) as thrown:
            for n in range(40):  # refused a little later each time: at every step
                with pytest.raises(ExceptionGroup):
                    await side_by_side(n * 0.0002)
        left = int(engine.pool.checkedout())  # type: ignore[attr-defined]
        await engine.dispose()
        return thrown, left, finished

    thrown, left, finished = asyncio.run(scenario())
    assert thrown == []
    assert left == 0
    assert finished == 40
