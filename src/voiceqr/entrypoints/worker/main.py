"""`voiceqr worker`: take generation jobs from the Redis stream and sweep periodically."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from taskiq.api import run_receiver_task

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.sweeper import run_sweeper

log = logging.getLogger(__name__)


async def run_worker(platform: Platform, *, concurrency: int = 4) -> None:
    """Run until SIGINT/SIGTERM; jobs in flight finish or are recovered by their lease."""
    await platform.start(worker=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    receiver = asyncio.create_task(
        run_receiver_task(platform.broker, max_async_tasks=concurrency, run_startup=False)
    )
    sweeper = asyncio.create_task(run_sweeper(platform))
    log.info("worker started (queue=%s)", platform.settings.queue.backend)
    stopper = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait(
            {receiver, sweeper, stopper}, return_when=asyncio.FIRST_COMPLETED
        )
        for task in done - {stopper}:
            error = task.exception()
            if error is not None:
                raise error
    finally:
        for task in (receiver, sweeper, stopper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await platform.stop()
        log.info("worker stopped")
