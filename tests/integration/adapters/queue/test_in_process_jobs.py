"""The embedded platform's job broker ends its jobs when it stops, while the database
the jobs write to is still open: none is left to the event loop's last cancellation."""

from __future__ import annotations

import asyncio

from taskiq.kicker import AsyncKicker

from voiceqr.adapters.queue.taskiq import InProcessJobs, memory_broker


async def _started(broker: InProcessJobs, seconds: float, done: list[str]) -> None:
    async def job() -> None:
        await asyncio.sleep(seconds)
        done.append("finished")

    broker.register_task(job, task_name="job")
    await broker.startup()
    await AsyncKicker("job", broker, {}).kiq()
    await asyncio.sleep(0.05)  # the job is under way


def _others() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


async def test_the_embedded_broker_ends_its_jobs_when_it_stops() -> None:
    assert isinstance(memory_broker(), InProcessJobs)


async def test_a_job_that_finishes_within_the_grace_finishes_before_the_broker_stops() -> None:
    broker, done = InProcessJobs(await_inplace=False, grace=5.0), list[str]()
    await _started(broker, 0.2, done)

    await broker.shutdown()

    assert done == ["finished"]
    assert _others() == set()


async def test_a_job_that_outlasts_the_grace_is_cancelled_and_awaited_before_the_broker_stops() -> (
    None
):
    broker, done = InProcessJobs(await_inplace=False, grace=0.1), list[str]()
    await _started(broker, 60, done)

    await asyncio.wait_for(broker.shutdown(), timeout=5)

    assert done == []
    assert _others() == set()
