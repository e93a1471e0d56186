"""`voiceqr worker`: take jobs from the Redis stream and run the periodic ones."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import signal
from typing import Any

from taskiq.api import run_receiver_task

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.registry import run_consumers, run_schedules, start_worker

log = logging.getLogger(__name__)

# How long the periodic jobs wait for the listener's first word on the queue, so that an
# unreachable queue is reported once, by the listener, with its retry schedule.
FIRST_VERDICT_SECONDS = 5.0
# How long stopping waits for each step (the running work, then the connections) before
# it says which part holds it up and goes on: a supervisor's SIGKILL comes soon after.
STOP_SECONDS = 2.0
SLOW_STOP_SECONDS = 1.0


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
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)
        await _stop_tasks(
            {"jobs": receiver, "periodic jobs": periodic, "consumers": consumers, "signal": stopper}
        )
        started = loop.time()
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await platform.stop()
        except TimeoutError:
            log.warning("worker stopping: the connections did not close in %.0f s", STOP_SECONDS)
        _say_if_slow("closing the connections", loop.time() - started)
        log.info("worker stopped")


async def _schedules_after_first_verdict(platform: Platform) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FIRST_VERDICT_SECONDS):
            await platform.operations.queue_health.wait_known()
    await run_schedules(platform)


async def _stop_tasks(tasks: dict[str, asyncio.Task[Any]]) -> None:
    """Cancel the worker's parts together; name any that does not end in time, with
    where it waits (what a stuck stop needs to be found), and go on."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    for task in tasks.values():
        task.cancel()
    _, pending = await asyncio.wait(tasks.values(), timeout=STOP_SECONDS)
    for name, task in tasks.items():
        if task in pending:
            where = io.StringIO()
            task.print_stack(file=where)
            log.warning(
                "worker stopping: %s still running after %.0f s\n%s",
                name,
                STOP_SECONDS,
                where.getvalue(),
            )
    _say_if_slow("stopping the running work", loop.time() - started)


def _say_if_slow(step: str, seconds: float) -> None:
    if seconds > SLOW_STOP_SECONDS:
        log.warning("worker stopping: %s took %.1f s", step, seconds)
