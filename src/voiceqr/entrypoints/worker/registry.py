"""Every feature's background tasks and periodic jobs, gathered in one place.

`voiceqr worker` and the worker inside `voiceqr serve` both take theirs from here: a
feature adds a module below and names it in FEATURES.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Protocol

from voiceqr.application.shared.jobs import Schedule
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker import accounts, generations, mail, operations, queue
from voiceqr.entrypoints.worker.tasks import Periodic, Task


class Feature(Protocol):
    @property
    def TASKS(self) -> Sequence[Task]: ...

    @property
    def SCHEDULES(self) -> Sequence[Periodic]: ...


# One pass runs the periodic jobs in this order: the alert check comes before mail
# delivery, so an alert that fires goes out on the same pass.
FEATURES: tuple[Feature, ...] = (generations, operations, mail, queue, accounts)


def tasks(platform: Platform) -> dict[str, Callable[..., Awaitable[object]]]:
    """Each task's handler by name, bound to the platform."""
    return {task.name: _bound(task, platform) for f in FEATURES for task in f.TASKS}


def schedules(platform: Platform) -> list[Schedule]:
    """Each periodic job, its period read from the platform's settings."""
    return [
        Schedule(p.name, timedelta(seconds=p.seconds(platform.settings)), partial(p.run, platform))
        for f in FEATURES
        for p in f.SCHEDULES
    ]


async def start_worker(platform: Platform) -> None:
    """Start the platform as a worker: the tasks registered on the broker first."""
    platform.bind_tasks(tasks(platform))
    await platform.start(worker=True)


async def run_schedules(platform: Platform) -> None:
    """Run the periodic jobs until cancelled: a pass, then a wait of the shortest period.

    Every worker does this; the claim in the database lets one of them run each job
    per period. The first pass is at once, so a restarted worker picks up at once what
    was left over (unless another ran it less than a period ago).
    """
    scheduler = platform.scheduler(schedules(platform))
    pause = scheduler.shortest_period.total_seconds()
    while True:
        await scheduler.run_due()
        await asyncio.sleep(pause)


def _bound(task: Task, platform: Platform) -> Callable[..., Awaitable[object]]:
    # A plain function (not a partial): the broker reads its name and signature.
    async def handler(*ids: str) -> None:
        await task.run(platform, *ids)

    return handler
