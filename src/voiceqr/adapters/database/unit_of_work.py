"""The SQL unit of work: one connection, one transaction, rolled back unless committed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Self

import anyio
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from voiceqr.adapters.database.account_data import AccountDataPart
from voiceqr.adapters.database.accounts import AccountsPart
from voiceqr.adapters.database.analytics import AnalyticsPart
from voiceqr.adapters.database.compliance import CompliancePart
from voiceqr.adapters.database.generations import GenerationsPart
from voiceqr.adapters.database.mail import MailPart
from voiceqr.adapters.database.moderation import ModerationPart
from voiceqr.adapters.database.moderation_automation import ModerationAutomationPart
from voiceqr.adapters.database.operations import OperationsPart
from voiceqr.adapters.database.playback import PlaybackPart
from voiceqr.adapters.database.previews import PreviewsPart
from voiceqr.adapters.database.profile import ProfilePart
from voiceqr.adapters.database.qr_designs import QrDesignsPart
from voiceqr.adapters.database.support import SupportPart
from voiceqr.adapters.database.voice_engagement import VoiceEngagementPart
from voiceqr.adapters.database.voices import VoicesPart


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `sqlite+aiosqlite:///...` or `postgresql+asyncpg://...`."""
    if url.startswith("sqlite"):
        # One connection, handed out in turn by the pool. SQLite lets one transaction
        # write at a time and every transaction here begins IMMEDIATE, so a second
        # connection gains nothing; it only made waiters wait inside SQLite, each in
        # its aiosqlite thread holding its connection's mutex for up to 30 s. Then the
        # garbage collector, freeing a cursor of that connection on the event loop's
        # thread, blocked on that mutex, and with it the transaction that held the
        # lock: 30 s of stall and "database is locked". The pool's queue waits without
        # a thread; the busy timeout is left for other processes (the CLI).
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # WAL lets the web app read while the worker writes; foreign keys are off by default.
            # pysqlite's own implicit BEGIN is off; the "begin" hook below issues ours.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Take the write lock up front so two writers queue instead of deadlocking.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


async def _release(connection: AsyncConnection) -> None:
    """End the transaction and give the connection back, even when cancelled.

    Litestar resolves a route's dependencies in one task group: when one is refused,
    the others are cancelled wherever they are, and anyio keeps cancelling every await
    after that. Unshielded, the rollback and close never ran; the pool threw the
    connection away and, on SQLite, its open `BEGIN IMMEDIATE` kept the write lock.
    """
    with anyio.CancelScope(shield=True):
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()


@contextlib.asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One transaction on its own connection: committed on success, rolled back and
    released on any error; a cancellation waits for its end (see `SqlUnitOfWork`)."""
    with anyio.CancelScope(shield=True):
        connection = await engine.connect()
        try:
            await connection.begin()
            yield connection
            await connection.commit()
        finally:
            await _release(connection)


class SqlUnitOfWork(
    AccountsPart,
    MailPart,
    VoicesPart,
    VoiceEngagementPart,
    ProfilePart,
    GenerationsPart,
    PreviewsPart,
    PlaybackPart,
    AnalyticsPart,
    OperationsPart,
    SupportPart,
    AccountDataPart,
    CompliancePart,
    ModerationPart,
    ModerationAutomationPart,
    QrDesignsPart,
):
    """Every feature's repositories on one connection and one transaction.

    Its bases are the one list of the features' parts (each at the end of its feature's
    module): a feature joins with one line here. The schema (`schema.py`) and the unit
    tests' fake unit of work are derived from this list.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._uninterrupted: anyio.CancelScope | None = None

    async def __aenter__(self) -> Self:
        # Once begun, a unit of work runs to its end and a cancellation lands after it.
        # Litestar resolves a route's dependencies side by side and cancels the others
        # when one is refused, wherever they are: in the middle of a statement too, and
        # SQLAlchemy throws away a connection whose statement was cut off. On SQLite the
        # connection it left behind then fought the next one for the write lock, and the
        # whole server stood still for 30 s (24 of 40 such cancellations did it).
        # A unit of work holds database calls only, so the wait is short. (A scope is
        # entered once: each entry makes its own.)
        self._uninterrupted = uninterrupted = anyio.CancelScope(shield=True)
        uninterrupted.__enter__()
        try:
            self._connection = await self._engine.connect()
            try:
                await self._connection.begin()
            except BaseException:
                await _release(self._connection)
                raise
        except BaseException as exc:
            uninterrupted.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self.attach(self._connection)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._connection is not None
        assert self._uninterrupted is not None
        connection, self._connection = self._connection, None
        uninterrupted, self._uninterrupted = self._uninterrupted, None
        try:
            await _release(connection)
        finally:
            uninterrupted.__exit__(None, None, None)

    async def commit(self) -> None:
        assert self._connection is not None
        await self._connection.commit()


class SqlUnitOfWorkFactory:
    """Makes units of work on one engine; `voiceqr.bootstrap` owns its lifetime."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    async def check(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
