"""The job stream itself: what every worker has acknowledged is trimmed from it."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, queue_answers, sweep_interval


async def trim_acknowledged(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.trim_queue()


TASKS: tuple[Task, ...] = ()
SCHEDULES = (Periodic("trim of acknowledged jobs", sweep_interval, trim_acknowledged),)
