"""Failure monitoring (F6): failed attempts by category over time, the current failure
rate, and when that rate is bad enough to tell the administrators.

A failed attempt is any attempt that ended otherwise than `completed` (a retry was
scheduled, it failed for good, or its worker was lost): each one is work the
platform could not do at that moment, whether or not a later attempt succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from voiceqr.domain.generations.failures import AttemptOutcome
from voiceqr.domain.shared.errors import ValidationError

FAILURE_RATE_ALERT = "failure_rate"
UNKNOWN_CATEGORY = "unknown"  # an attempt that failed without a stored category


class StatsWindow(StrEnum):
    """How far back the dashboard looks, and how it groups what it finds."""

    DAY = "24h"
    WEEK = "7d"

    @property
    def span(self) -> timedelta:
        return timedelta(hours=24) if self is StatsWindow.DAY else timedelta(days=7)

    @property
    def bucket(self) -> timedelta:
        """One bar of the chart: an hour over a day, a day over a week."""
        return timedelta(hours=1) if self is StatsWindow.DAY else timedelta(days=1)

    def buckets(self, now: datetime) -> list[datetime]:
        """The start of every bucket that overlaps the window ending at `now`, oldest first."""
        step = self.bucket
        last = floor_to(now, step)
        first = floor_to(now - self.span, step)
        count = int((last - first) / step) + 1
        return [first + step * i for i in range(count)]


def floor_to(moment: datetime, step: timedelta) -> datetime:
    """The start of the hour or (UTC) day that holds `moment`."""
    if step >= timedelta(days=1):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class AttemptCount:
    """How many attempts finished in one bucket with one outcome and failure category."""

    bucket: datetime
    outcome: str
    category: str | None
    count: int


@dataclass(frozen=True, slots=True)
class FailureBucket:
    """One bar: the attempts finished in it, and the failed ones by category."""

    start: datetime
    finished: int = 0
    failed_by_category: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(self.failed_by_category.values())


@dataclass(frozen=True, slots=True)
class FailureRate:
    """Failed attempts among those that finished since `since`."""

    since: datetime
    finished: int
    failed: int

    def __post_init__(self) -> None:
        if not 0 <= self.failed <= self.finished:
            raise ValueError("failed attempts must be between 0 and the finished ones")

    @property
    def rate(self) -> float:
        return self.failed / self.finished if self.finished else 0.0


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """When the failure rate pages the administrators.

    `min_attempts` keeps a quiet hour (1 failure of 2) from paging anyone; `cooldown`
    keeps a long incident from mailing them on every sweep.
    """

    threshold: float = 0.2
    window: timedelta = timedelta(minutes=15)
    min_attempts: int = 20
    cooldown: timedelta = timedelta(minutes=60)

    def __post_init__(self) -> None:
        if not 0 <= self.threshold <= 1:
            raise ValidationError("The alert threshold is a rate from 0 to 1.", code="bad_alert")
        if self.window <= timedelta(0) or self.cooldown < timedelta(0) or self.min_attempts < 1:
            raise ValidationError(
                "The alert window must be positive, the cooldown not negative and the "
                "minimum of attempts at least 1.",
                code="bad_alert",
            )

    def breached(self, rate: FailureRate) -> bool:
        """Enough attempts finished, and more than `threshold` of them failed."""
        return rate.finished >= self.min_attempts and rate.rate > self.threshold


def failures_by_category(counts: Iterable[AttemptCount]) -> dict[str, int]:
    """Failed attempts per category, most failures first (then by name)."""
    totals: dict[str, int] = {}
    for row in counts:
        if row.outcome != AttemptOutcome.COMPLETED:
            category = row.category or UNKNOWN_CATEGORY
            totals[category] = totals.get(category, 0) + row.count
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def group_into_buckets(counts: list[AttemptCount], starts: list[datetime]) -> list[FailureBucket]:
    """Bars for every bucket start in `starts` (empty ones included), from grouped counts."""
    by_start: dict[datetime, list[AttemptCount]] = {start: [] for start in starts}
    for row in counts:
        if row.bucket in by_start:
            by_start[row.bucket].append(row)
    return [
        FailureBucket(
            start,
            finished=sum(row.count for row in rows),
            failed_by_category=failures_by_category(rows),
        )
        for start, rows in by_start.items()
    ]
