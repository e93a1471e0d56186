"""Background work: jobs sent once their transaction has committed, and periodic jobs
run once per period across any number of workers.

The database is the truth for every piece of work; a job only wakes a worker up. It
carries ids and nothing else, and running it twice does nothing the second time, so a
job lost with the broker is simply sent again by a periodic sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

log = logging.getLogger(__name__)


class Jobs(Protocol):
    """Wakes a worker for a task by name, with the ids it is about. Raises when the
    broker cannot take it; the work then waits in the database for the next sweep."""

    async def enqueue(self, task: str, *ids: str) -> None: ...


class Committable(Protocol):
    async def commit(self) -> None: ...


class AfterCommit:
    """The jobs asked for inside one transaction, sent only once it has committed.

    `enqueue` only records; `commit(uow)` commits the transaction and lets them go;
    `send()` sends them in order. A transaction that raised or was never committed
    asked for nothing, so nothing is sent for it.
    """

    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs
        self._pending: list[tuple[str, tuple[str, ...]]] = []
        self._committed = False
        self.refused: Exception | None = None  # why the broker refused a job, if it did

    def enqueue(self, task: str, *ids: str) -> None:
        self._pending.append((task, ids))

    async def commit(self, uow: Committable) -> None:
        await uow.commit()
        self._committed = True

    async def send(self) -> int:
        """Send what the committed transaction asked for; returns how many the broker
        took. It stops at the first it refuses and keeps the error in `refused`: the
        rest would most likely be refused too."""
        if not self._committed:
            self._pending.clear()
            return 0
        pending, self._pending = self._pending, []
        for sent, (task, ids) in enumerate(pending):
            try:
                await self._jobs.enqueue(task, *ids)
            except Exception as exc:  # the broker being down must not lose the work
                self.refused = exc
                return sent
        return len(pending)


class ScheduleClaims(Protocol):
    """When each periodic job runs next, shared by every worker (a row per job)."""

    async def claim(self, name: str, *, now: datetime, next_run_at: datetime) -> bool:
        """Take the run of `name` that is due at `now`, and move its next run to
        `next_run_at`: a compare-and-set, so of any number of callers one gets True.
        A job never seen before is due at once."""
        ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """A periodic job: `run()` returns how many things it did (logged when any)."""

    name: str
    every: timedelta
    run: Callable[[], Awaitable[int]]


def wall_clock() -> datetime:
    return datetime.now(UTC)


class Scheduler:
    """Runs the periodic jobs that are due and that this process wins the claim of.

    The schedule follows the wall clock, not the platform's clock: it says when work is
    looked at, and each job asks the platform's clock what is due.
    """

    def __init__(
        self,
        claims: ScheduleClaims,
        schedules: Sequence[Schedule],
        *,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        self._claims = claims
        self._schedules = tuple(schedules)
        self._clock = clock

    @property
    def shortest_period(self) -> timedelta:
        return min(s.every for s in self._schedules)

    async def run_due(self) -> list[str]:
        """One pass, in the order the schedules were given; returns the names run.

        A job that fails is logged and left for its next period; the others still run.
        """
        ran: list[str] = []
        for schedule in self._schedules:
            try:
                now = self._clock()
                if not await self._claims.claim(
                    schedule.name, now=now, next_run_at=now + schedule.every
                ):
                    continue
                ran.append(schedule.name)
                done = await schedule.run()
                if done:
                    log.info("%s: %d done", schedule.name, done)
            except asyncio.CancelledError:
                raise
            except Exception:  # tried again in its next period
                log.exception("%s failed", schedule.name)
        return ran
