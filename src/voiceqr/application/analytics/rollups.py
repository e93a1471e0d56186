"""Keeping the roll-ups current: every completed UTC day is rolled up once (a day rolled
up again is replaced, so the job may run any number of times), and raw events past the
retention period are deleted."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from voiceqr.application.analytics.ports import RollUpUnitOfWork
from voiceqr.application.shared.ports import UnitOfWorkFactory
from voiceqr.domain.analytics.rollups import (
    days_to_roll_up,
    hours_complete_until,
    retention_cutoff,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RollUpReport:
    days: int  # days rolled up
    events_deleted: int  # raw events past the retention period


class RollUps:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory[RollUpUnitOfWork],
        clock: Callable[[], datetime],
        retention_months: int,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._retention_months = retention_months

    async def run(self) -> RollUpReport:
        """Roll up each completed UTC day not rolled up yet, oldest first, one transaction
        a day (a long catch-up keeps what it did if stopped), then the complete hours of
        the days after (today's, read by the charts), then delete the raw events older
        than the retention period."""
        now = self._clock()
        async with self._uow() as uow:
            pending = days_to_roll_up(
                await uow.analytics_rollups.rolled_through(),
                await uow.analytics_rollups.first_event_day(),
                now=now,
            )
        rolled = 0
        for day in pending.each_day() if pending else ():
            async with self._uow() as uow:
                await uow.analytics_rollups.roll_up(day)
                await uow.commit()
            rolled += 1
        async with self._uow() as uow:
            await uow.analytics_rollups.roll_up_hours(hours_complete_until(now))
            await uow.commit()
        async with self._uow() as uow:
            cutoff = retention_cutoff(
                now, self._retention_months, await uow.analytics_rollups.rolled_through()
            )
            deleted = (
                0 if cutoff is None else await uow.analytics_rollups.delete_events_before(cutoff)
            )
            await uow.commit()
        if rolled or deleted:
            log.info("analytics: %d days rolled up, %d old events deleted", rolled, deleted)
        return RollUpReport(rolled, deleted)
