"""The user's own data leaving, in the background: the job that builds an account's
archive, the job that removes an account and everything it made, and the sweeps that
start what is due (new exports, grace periods over, or work left behind by a worker
that died)."""

from __future__ import annotations

from uuid import UUID

from voiceqr.application.account_data.deletion import DELETE_ACCOUNT
from voiceqr.application.account_data.export import EXPORT_ACCOUNT
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, queue_answers, sweep_interval


async def delete_account(platform: Platform, user_id: str) -> None:
    await platform.account_deletions.run(UUID(user_id))


async def sweep_deletions(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.account_deletions.sweep()


async def export_account(platform: Platform, export_id: str) -> None:
    await platform.account_exports.build(UUID(export_id))


async def sweep_exports(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.account_exports.sweep()


TASKS = (Task(DELETE_ACCOUNT, delete_account), Task(EXPORT_ACCOUNT, export_account))
SCHEDULES = (
    Periodic("account deletion sweep", sweep_interval, sweep_deletions),
    Periodic("account export sweep", sweep_interval, sweep_exports),
)
