"""Content moderation in the background: queue items waiting longer than
VOICEQR_MODERATION_ESCALATE_AFTER_HOURS go to the administrators."""

from __future__ import annotations

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.worker.tasks import Periodic
from voiceqr.settings import Settings


async def escalate_overdue_items(platform: Platform) -> int:
    return await platform.moderation.decisions.escalate_overdue()


def _every_quarter_hour(settings: Settings) -> float:
    del settings  # escalation is counted in hours: a quarter of one is close enough
    return 900.0


SCHEDULES = (Periodic("moderation escalation", _every_quarter_hour, escalate_overdue_items),)
