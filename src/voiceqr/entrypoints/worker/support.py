"""Support tickets in the background: a ticket resolved 7 days ago with no word from
the user since closes itself."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic
from voiceqr.settings import Settings


async def close_resolved_tickets(platform: Platform) -> int:
    return await platform.support.queue.close_resolved()


def _hourly(settings: Settings) -> float:
    del settings  # a day's precision is plenty for a 7-day rule
    return 3600.0


SCHEDULES = (Periodic("close resolved tickets", _hourly, close_resolved_tickets),)
