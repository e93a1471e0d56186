"""Failure monitoring (F6): the admin dashboard's numbers and the failure-rate alert.

A periodic job calls `check_alert` once per sweep interval. The alert fires at
most once per cooldown across all workers and restarts: the time it fired is kept
in the database with a compare-and-set, in the same transaction as the mail to the
administrators, so a crash between the two sends neither.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.operations.ports import OperationsUnitOfWork
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.operations.failure_monitoring import (
    FAILURE_RATE_ALERT,
    AlertPolicy,
    FailureBucket,
    FailureRate,
    StatsWindow,
    failures_by_category,
    group_into_buckets,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FailureStats:
    """What the failure dashboard shows for one window."""

    window: StatsWindow
    until: datetime
    buckets: list[FailureBucket]
    by_category: dict[str, int]  # failed attempts in the window, most failures first
    current: FailureRate
    policy: AlertPolicy
    last_alert_at: datetime | None

    @property
    def categories(self) -> list[str]:
        return list(self.by_category)

    @property
    def finished(self) -> int:
        return sum(b.finished for b in self.buckets)

    @property
    def failed(self) -> int:
        return sum(b.failed for b in self.buckets)

    @property
    def over_threshold(self) -> bool:
        return self.policy.breached(self.current)


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureMonitor:
    uow: Callable[[], OperationsUnitOfWork]
    notifications: Notifications
    clock: Callable[[], datetime]
    policy: AlertPolicy

    async def stats(self, viewer: Actor, *, window: StatsWindow = StatsWindow.DAY) -> FailureStats:
        """Failed attempts by category per hour (24h) or per day (7d), and the current
        rate over the alert window. For those who may read the failure dashboard."""
        require(viewer, Permission.READ_FAILURE_DASHBOARD)
        now = self.clock()
        starts = window.buckets(now)
        async with self.uow() as uow:
            counts = await uow.failure_stats.attempt_counts(since=starts[0], bucket=window.bucket)
            current = await _rate_since(uow, now - self.policy.window)
            last_alert_at = await uow.alerts.last_fired(FAILURE_RATE_ALERT)
        return FailureStats(
            window=window,
            until=now,
            buckets=group_into_buckets(counts, starts),
            by_category=failures_by_category(counts),
            current=current,
            policy=self.policy,
            last_alert_at=last_alert_at,
        )

    async def check_alert(self) -> int:
        """Alert the administrators (an ERROR log and one mail each) when the failure rate
        over the window breaches the policy and no alert fired within the cooldown.

        Returns 1 when this call fired the alert, else 0 (for the sweeper's log)."""
        now = self.clock()
        async with self.uow() as uow:
            rate = await _rate_since(uow, now - self.policy.window)
            if not self.policy.breached(rate):
                return 0
            categories = failures_by_category(
                await uow.failure_stats.attempt_counts(since=rate.since, bucket=self.policy.window)
            )
            numbers = {
                "failed": rate.failed,
                "finished": rate.finished,
                "rate": round(rate.rate, 4),
                "threshold": self.policy.threshold,
                "window_minutes": int(self.policy.window.total_seconds() // 60),
                "by_category": categories,
            }
            fired = await uow.alerts.fire(
                FAILURE_RATE_ALERT, now=now, cooldown=self.policy.cooldown, details=numbers
            )
            if not fired:
                # Every sweep of the cooldown gets here: debug, not a warning per tick.
                log.debug(
                    "failure rate over the threshold; alert already sent within the cooldown",
                    extra={"alert": FAILURE_RATE_ALERT, **numbers},
                )
                return 0
            admins = [
                a
                for a in await uow.users.list_admins()
                if a.status is UserStatus.ACTIVE and a.is_verified
            ]
            for admin in admins:
                await self.notifications.send(
                    uow,
                    "failure_rate_alert",
                    to=admin.email,
                    link=self.notifications.link("/admin"),
                    name=admin.name,
                    failed=str(rate.failed),
                    finished=str(rate.finished),
                    minutes=str(numbers["window_minutes"]),
                    percent=f"{rate.rate:.0%}",
                    threshold=f"{self.policy.threshold:.0%}",
                    categories=", ".join(f"{c} ({n})" for c, n in categories.items())
                    or "none recorded",
                    cooldown=str(int(self.policy.cooldown.total_seconds() // 60)),
                )
            await uow.commit()
        log.error(
            "failure rate alert: %d of %d generation attempts failed",
            rate.failed,
            rate.finished,
            extra={"alert": FAILURE_RATE_ALERT, "admins_mailed": len(admins), **numbers},
        )
        return 1


async def _rate_since(uow: OperationsUnitOfWork, since: datetime) -> FailureRate:
    finished, failed = await uow.failure_stats.failure_rate(since=since)
    return FailureRate(since=since, finished=finished, failed=failed)
