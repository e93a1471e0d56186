"""Every feature's background work, gathered in one place.

`voiceqr worker` and the worker inside `voiceqr serve` both take theirs from here. A
feature's module in this package declares any of `TASKS` (jobs sent by name),
`SCHEDULES` (periodic jobs) and `CONSUMERS` (work that runs as long as the worker); it
is found by name, with no list to keep: a feature adds its module and nothing else.
"""

from __future__ import annotations

import asyncio
import functools
import pkgutil
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from importlib import import_module
from types import ModuleType
from typing import Any

from voiceqr.application.shared.jobs import Schedule
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints import worker
from voiceqr.entrypoints.worker.tasks import Consumer, Periodic, Task

_DECLARATIONS = ("TASKS", "SCHEDULES", "CONSUMERS")


@functools.cache
def features() -> tuple[ModuleType, ...]:
    """The modules of this package that declare work, in the order of their names.

    Found on first use rather than on import: this package's own modules (`main`)
    import this one.
    """
    modules = (
        import_module(f"{worker.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(worker.__path__), key=lambda info: info.name)
    )
    return tuple(m for m in modules if any(hasattr(m, name) for name in _DECLARATIONS))


def _declared(name: str) -> list[Any]:
    return [item for module in features() for item in getattr(module, name, ())]


def tasks(platform: Platform) -> dict[str, Callable[..., Awaitable[object]]]:
    """Each task's handler by name, bound to the platform."""
    found: list[Task] = _declared("TASKS")
    return {task.name: _bound(task, platform) for task in found}


def schedules(platform: Platform) -> list[Schedule]:
    """Each periodic job, its period read from the platform's settings, in the order
    a pass runs them (`Periodic.order`, then the features' names)."""
    declared: list[Periodic] = _declared("SCHEDULES")
    periodic = sorted(declared, key=lambda p: p.order)
    return [
        Schedule(p.name, timedelta(seconds=p.seconds(platform.settings)), partial(p.run, platform))
        for p in periodic
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


async def run_consumers(platform: Platform) -> None:
    """Run every feature's consumers until cancelled (then each finishes its own way)."""
    consumers: list[Consumer] = _declared("CONSUMERS")
    await asyncio.gather(*(consumer.run(platform) for consumer in consumers))


def _bound(task: Task, platform: Platform) -> Callable[..., Awaitable[object]]:
    # A plain function (not a partial): the broker reads its name and signature.
    async def handler(*ids: str) -> None:
        await task.run(platform, *ids)

    return handler
