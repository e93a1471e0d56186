"""The weekly scans summary's view of analytics.

The mail feature may not import analytics (it is upstream of it), so it asks through
its `ScanWeeks` port, and this adapter answers with the analytics dashboards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from voiceqr.application.analytics.dashboards import Dashboards
from voiceqr.application.mail.digests import CodeWeek, ScansWeek
from voiceqr.domain.accounts.users import User

WEEK_DAYS = 7


@dataclass(frozen=True, slots=True)
class DashboardScanWeeks:
    dashboards: Dashboards
    clock: Callable[[], datetime]

    async def last_week(self, owner: User) -> ScansWeek:
        """The 7 days up to today in the owner's time zone (UTC without one)."""
        zone = await self.dashboards.preferred_zone(owner)
        today = self.clock().date()
        first = (today - timedelta(days=WEEK_DAYS - 1)).isoformat()
        period = self.dashboards.period(first, today.isoformat(), zone)
        summary = await self.dashboards.summary(owner, period)
        top = await self.dashboards.top_codes(owner, period, by="scans")
        return ScansWeek(
            scans=summary.counts.scans,
            listens=summary.counts.listens,
            top_codes=[
                CodeWeek(code.public_code, code.text, code.counts.scans, code.counts.listens)
                for code in top[:5]
            ],
        )
