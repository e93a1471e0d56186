"""What monitoring needs: counts over the attempt history and the alerts' state, in
a unit of work that also finds the administrators to mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from voiceqr.application.accounts.ports import UserRepository
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.operations.failure_monitoring import AttemptCount


class FailureStatistics(Protocol):
    """Counts over the attempt history, grouped in the database."""

    async def attempt_counts(self, *, since: datetime, bucket: timedelta) -> list[AttemptCount]:
        """Attempts finished since `since`, counted per bucket (an hour, or a UTC day when
        `bucket` is a day or more, by its start), outcome and failure category."""
        ...

    async def failure_rate(self, *, since: datetime) -> tuple[int, int]:
        """(finished, failed) attempts since `since`; failed: any outcome but completed."""
        ...


class AlertStates(Protocol):
    """When each alert last fired, shared by every worker (several may check at once)."""

    async def fire(
        self, name: str, *, now: datetime, cooldown: timedelta, details: dict[str, object]
    ) -> bool:
        """Record that alert `name` fires at `now`, unless it fired less than `cooldown`
        ago; False then. A compare-and-set: of two workers that try at once, one wins."""
        ...

    async def last_fired(self, name: str) -> datetime | None: ...


class OperationsUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, Protocol):
    """The audit log, the failure statistics and alerts, and the administrators."""

    failure_stats: FailureStatistics
    alerts: AlertStates
    users: UserRepository
