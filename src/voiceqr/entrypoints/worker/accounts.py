"""Accounts in the background: old login activity is forgotten, hourly."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task
from voiceqr.settings import Settings

ACTIVITY_CLEANUP_SECONDS = 3600.0


def hourly(_: Settings) -> float:
    return ACTIVITY_CLEANUP_SECONDS


async def forget_old_activity(platform: Platform) -> int:
    return await platform.accounts.accounts.forget_old_activity()


TASKS: tuple[Task, ...] = ()
SCHEDULES = (Periodic("login activity clean-up", hourly, forget_old_activity),)
