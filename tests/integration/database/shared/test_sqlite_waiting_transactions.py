"""On the embedded SQLite database, a transaction waiting for another never stalls the app.

Every transaction begins IMMEDIATE, so SQLite runs one at a time. When waiters sat
inside SQLite on connections of their own (each in its aiosqlite thread, holding its
connection's mutex while the busy handler slept), the garbage collector freeing an old
cursor of such a connection on the event loop's thread blocked on that mutex. The loop
stopped, so the transaction holding the lock could not finish: 30 s of stall, then
"database is locked" (found by schemathesis as an API-key user). Now waiters queue in
the pool, with no connection and no thread, and the loop keeps running.
"""

from __future__ import annotations

import asyncio
import gc
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from voiceqr.adapters.database import migrate
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine

WAITERS = 4


def _leave_a_collectable_cursor(dbapi_connection: Any, *_: object) -> None:
    """Leave, on every connection the pool hands out, a cursor that only the garbage
    collector frees (held in a reference cycle, as an exception's traceback holds one)."""
    sqlite_connection = dbapi_connection.driver_connection._conn  # aiosqlite keeps it here
    cursor = sqlite_connection.cursor()
    cursor.execute("SELECT 1")
    cycle: list[object] = [cursor]
    cycle.append(cycle)


def test_transactions_waiting_for_the_lock_leave_the_event_loop_free(tmp_path: Path) -> None:
    async def scenario() -> tuple[float, list[float]]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        await migrate.upgrade(engine)
        factory = SqlUnitOfWorkFactory(engine)
        event.listen(engine.sync_engine, "checkout", _leave_a_collectable_cursor)
        holding = asyncio.Event()
        finished: list[float] = []
        started = time.monotonic()

        async def holder() -> None:
            async with factory() as uow:
                await uow.users.get_by_email("holder@example.com")
                holding.set()
                await asyncio.sleep(0.5)
                await uow.users.get_by_email("holder@example.com")
                await uow.commit()
            finished.append(time.monotonic() - started)

        async def waiter() -> None:
            await holding.wait()
            async with factory() as uow:
                await uow.users.get_by_email("waiter@example.com")
                await uow.commit()
            finished.append(time.monotonic() - started)

        gc.disable()
        try:
            tasks = [asyncio.create_task(holder())]
            tasks += [asyncio.create_task(waiter()) for _ in range(WAITERS)]
            await holding.wait()
            await asyncio.sleep(0.2)  # the waiters are waiting now
            before = time.monotonic()
            gc.collect()  # on the loop's thread, as Python's automatic collections run
            collect_took = time.monotonic() - before
            await asyncio.gather(*tasks)
        finally:
            gc.enable()
            await engine.dispose()
        return collect_took, finished

    # Unfixed, this hung for the busy timeout (30 s) and the waiters failed.
    collect_took, finished = asyncio.run(asyncio.wait_for(scenario(), timeout=60))
    assert collect_took < 1.0
    assert len(finished) == 1 + WAITERS
    assert max(finished) < 5.0
