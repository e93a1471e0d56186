"""Operations in the background: the failure-rate alert check."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, sweep_interval


async def check_failure_rate(platform: Platform) -> int:
    return await platform.operations.failure_monitor.check_alert()


TASKS: tuple[Task, ...] = ()
SCHEDULES = (Periodic("failure-rate alert check", sweep_interval, check_failure_rate),)
