"""Voice previews in the background: the job that makes one, the sweep that puts lost
ones back and hands due ones to the queue, and the job that deletes expired ones."""

from __future__ import annotations

from uuid import UUID

from voiceqr.application.generations.previews import PROCESS_PREVIEW
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, queue_answers, sweep_interval
from voiceqr.settings import Settings


async def process_preview(platform: Platform, preview_id: str) -> None:
    await platform.generations.previews.process(UUID(preview_id))


async def sweep_previews(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.generations.previews.sweep()


async def expire_previews(platform: Platform) -> int:
    return await platform.generations.previews.expire()


def expiry_interval(settings: Settings) -> float:
    """VOICEQR_PREVIEWS_EXPIRY_MINUTES: how often expired previews are deleted."""
    return settings.previews.expiry_minutes * 60.0


TASKS = (Task(PROCESS_PREVIEW, process_preview),)
SCHEDULES = (
    Periodic("preview sweep", sweep_interval, sweep_previews),
    Periodic("preview expiry", expiry_interval, expire_previews),
)
