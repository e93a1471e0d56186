"""`voiceqr worker`: take jobs from the Redis stream and run the periodic ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from taskiq.api import run_receiver_task

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.registry import run_consumers, run_schedules, start_worker

log = logging.getLogger(__name__)

# How long the periodic jobs wait for the listener's first word on the queue, so that an
# unreachable queue is reported once, by the listener, with its retry schedule.
FIRST_VERDICT_SECONDS = 5.0


async def run_worker(platform: Platform, *, concurrency: int = 4) -> None:
    """Run until SIGINT/SIGTERM; jobs in flight finish or are recovered by their lease.

    An unreachable queue does not stop it: the listener waits for the queue (and comes
    back to it after an outage) while the periodic jobs keep delivering mail.
    """
    await start_worker(platform)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info("worker started (queue at %s)", platform.operations.queue_health.where)
    receiver = asyncio.create_task(
        run_receiver_task(platform.jobs_broker(), max_async_tasks=concurrency, run_startup=False)
    )
    periodic = asyncio.create_task(_schedules_after_first_verdict(platform))
    consumers = asyncio.create_task(run_consumers(platform))
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait(
            {receiver, periodic, consumers, stopper}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done - {stopper}:
            error = task.exception()
            if error is not None:
                raise error
    finally:
        for task in (receiver, periodic, consumers, stopper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        await platform.stop()
        log.info("worker stopped")


async def _schedules_after_first_verdict(platform: Platform) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FIRST_VERDICT_SECONDS):
            await platform.operations.queue_health.wait_known()
    await run_schedules(platform)
