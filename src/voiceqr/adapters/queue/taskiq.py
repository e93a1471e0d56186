"""The in-process Taskiq broker, and the jobs port on top of any broker (the Redis
stream broker is in `redis_stream.py`).

The broker only wakes workers up; the database says what is to be done. Jobs carry
ids and nothing else.
"""

from __future__ import annotations

import asyncio
import logging

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker

from voiceqr.adapters.queue.health import QueueHealth

log = logging.getLogger(__name__)


def memory_broker() -> AsyncBroker:
    """Runs each job as a task in this process, right after it is sent."""
    return InProcessJobs(await_inplace=False)


class InProcessJobs(InMemoryBroker):
    """taskiq's in-memory broker that ends its jobs when it stops.

    The platform stops the broker before it closes the database. Jobs still running
    then get `grace` seconds to finish; the rest are cancelled and awaited here, while
    the database is open (the lease gives their attempt back at the next start).
    taskiq's own broker left them running: the loop cancelled them only after the
    database had closed, each with an error in the log, and a job then half-way
    through a statement was left pending for good.
    """

    def __init__(self, *, await_inplace: bool, grace: float = 5.0) -> None:
        super().__init__(await_inplace=await_inplace)
        self.grace = grace

    async def shutdown(self) -> None:
        running = set(self._running_tasks)
        if running:
            _, unfinished = await asyncio.wait(running, timeout=self.grace)
            for job in unfinished:
                job.cancel()
            if unfinished:
                log.warning("stopping: %d job(s) still running were cancelled", len(unfinished))
                await asyncio.gather(*unfinished, return_exceptions=True)
        await super().shutdown()


def queue_health(broker: AsyncBroker) -> QueueHealth:
    """What this process knows of the broker's reachability: the Redis stream broker
    watches it (see redis_stream.py); a broker in this process is always there."""
    health = getattr(broker, "health", None)
    return health if isinstance(health, QueueHealth) else QueueHealth.in_process()


async def trim_acknowledged(broker: AsyncBroker) -> int:
    """Delete the jobs every worker has acknowledged from the broker; returns how many
    (none but the Redis stream broker keeps jobs once they are done)."""
    trim = getattr(broker, "trim_acknowledged", None)
    return int(await trim()) if trim is not None else 0


class TaskiqJobs:
    """Sends `<task>(*ids)` through the broker; workers register the tasks by name."""

    def __init__(self, broker: AsyncBroker) -> None:
        self._broker = broker

    async def enqueue(self, task: str, *ids: str) -> None:
        kicker: AsyncKicker[..., None] = AsyncKicker(task_name=task, broker=self._broker, labels={})
        await kicker.kiq(*ids)
