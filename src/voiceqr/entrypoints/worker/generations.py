"""Generations in the background: the job that makes the audio, and the sweep that puts
lost jobs back and hands due ones to the queue."""

from __future__ import annotations

from uuid import UUID

from voiceqr.application.generations.generations import PROCESS_GENERATION
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic, Task, queue_answers, sweep_interval


async def process_generation(platform: Platform, generation_id: str) -> None:
    await platform.generations.generations.process(UUID(generation_id))


async def sweep(platform: Platform) -> int:
    if not await queue_answers(platform):
        return 0
    return await platform.generations.generations.sweep()


TASKS = (Task(PROCESS_GENERATION, process_generation),)
SCHEDULES = (Periodic("sweep", sweep_interval, sweep),)
