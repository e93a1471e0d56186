"""Periodic jobs on the real database: two workers racing for the same job, on SQLite
and PostgreSQL, run it once per period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from voiceqr.adapters.database.schedules import SqlScheduleClaims
from voiceqr.adapters.database.unit_of_work import create_engine
from voiceqr.application.shared.jobs import Schedule, Scheduler

PERIOD = timedelta(seconds=15)
T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
async def two_workers(database_url: str) -> AsyncIterator[list[SqlScheduleClaims]]:
    """Claims on two engines: two worker processes on one database."""
    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        yield [SqlScheduleClaims(engine) for engine in engines]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_two_workers_racing_claim_each_period_once(
    two_workers: list[SqlScheduleClaims],
) -> None:
    for period in range(4):
        now = T0 + period * PERIOD
        won = await asyncio.gather(
            *(w.claim("sweep", now=now, next_run_at=now + PERIOD) for w in two_workers)
        )
        assert sorted(won) == [False, True], f"period {period}: {won}"
        # Later in the same period: nobody.
        later = now + PERIOD / 2
        for worker in two_workers:
            assert not await worker.claim("sweep", now=later, next_run_at=later + PERIOD)


async def test_racing_schedulers_run_every_job_once_per_period(
    two_workers: list[SqlScheduleClaims],
) -> None:
    now = T0
    runs: list[str] = []

    def job(name: str) -> Schedule:
        async def run() -> int:
            runs.append(name)
            await asyncio.sleep(0)
            return 0

        return Schedule(name, PERIOD, run)

    schedulers = [
        Scheduler(claims, [job("sweep"), job("mail delivery")], clock=lambda: now)
        for claims in two_workers
    ]
    for period in range(3):
        now = T0 + period * PERIOD
        await asyncio.gather(*(s.run_due() for s in schedulers))
        assert sorted(runs) == ["mail delivery", "sweep"], f"period {period}: {runs}"
        runs.clear()
