"""Deleting accounts in the background: the job that removes an account and everything
it made, and the sweep that starts due deletions (grace periods over, or left behind
by a worker that died)."""

from __future__ import annotations

from uuid import UUID

from voiceqr.application.account_data.deletion import DELETE_ACCOUNT
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, queue_answers, sweep_interval


async def delete_account(platform: Platform, user_id: str) -> None:
    await platform.account_deletions.run(UUID(user_id))


async def sweep_deletions(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.account_deletions.sweep()


TASKS = (Task(DELETE_ACCOUNT, delete_account),)
SCHEDULES = (Periodic("account deletion sweep", sweep_interval, sweep_deletions),)
