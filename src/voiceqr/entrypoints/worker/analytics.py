"""Analytics in the background: rolling up each completed UTC day of scans and listens
for the dashboards, and deleting raw events past the retention period."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic
from voiceqr.settings import Settings


async def roll_up(platform: Platform) -> int:
    report = await platform.analytics.rollups.run()
    return report.days + report.events_deleted


def _period(settings: Settings) -> float:
    return settings.analytics.rollup_minutes * 60.0


SCHEDULES = (Periodic("analytics roll-up", _period, roll_up),)
