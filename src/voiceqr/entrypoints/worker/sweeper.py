"""The periodic sweeper: lost and due generations go back to the queue, due mail is
sent, the failure rate is checked for an alert (F6), acknowledged jobs are trimmed from
the job stream, and old login activity is forgotten."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from voiceqr.bootstrap import Platform

log = logging.getLogger(__name__)

ACTIVITY_CLEANUP_SECONDS = 3600


async def run_sweeper(platform: Platform) -> None:
    interval = platform.settings.jobs.sweep_interval_seconds
    last_cleanup = 0.0
    while True:
        # While the queue is away nothing can be handed to it; what is due stays due in
        # the database and goes on the first tick after it is back (the worker's
        # listener says when it goes and comes back, in one line each).
        queue_answers = await _queue_answers(platform, interval)
        if queue_answers:
            await _step("sweep", platform.generations.sweep)
        # Before mail delivery, so an alert that fires goes out on this tick.
        await _step("failure-rate alert check", platform.failure_monitor.check_alert)
        await _step("mail delivery", platform.mail_delivery.deliver_due)
        if queue_answers:
            await _step("trim of acknowledged jobs", platform.trim_queue)
        if time.monotonic() - last_cleanup > ACTIVITY_CLEANUP_SECONDS:
            last_cleanup = time.monotonic()
            await _step("login activity clean-up", platform.accounts.forget_old_activity)
        await asyncio.sleep(interval)


async def _queue_answers(platform: Platform, interval: float) -> bool:
    """What this process last saw of the queue; once it went away, asked again each tick
    (a failed send is not the listener's business, and nothing else would clear it)."""
    health = platform.queue_health
    if health.state.reachable:
        return True
    return (await health.check(max_age=interval)).reachable


async def _step(name: str, work: Callable[[], Awaitable[int]]) -> None:
    try:
        done = await work()
        if done:
            log.info("%s: %d done", name, done)
    except asyncio.CancelledError:
        raise
    except Exception:  # a failed step is tried again on the next tick
        log.exception("%s failed", name)
