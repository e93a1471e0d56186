"""The periodic sweeper: expired leases go back, due retries and lost jobs are re-sent."""

from __future__ import annotations

import asyncio
import logging

from voiceqr.bootstrap import Platform

log = logging.getLogger(__name__)


async def run_sweeper(platform: Platform) -> None:
    interval = platform.settings.jobs.sweep_interval_seconds
    while True:
        try:
            handed = await platform.generations.sweep()
            if handed:
                log.info("sweeper handed %d generations to the queue", handed)
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed sweep is retried on the next tick
            log.exception("sweep failed")
        await asyncio.sleep(interval)
