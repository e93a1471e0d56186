"""Fake audit log, failure statistics and alert states."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from tests.unit.fakes.database import Part, Table
from voiceqr.application.operations.ports import AlertStates, FailureStatistics
from voiceqr.application.shared.ports import (
    AuditLog,
)
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition
from voiceqr.domain.operations.failure_monitoring import AttemptCount, floor_to


class FakeAuditLog(Table):
    async def add(self, event: AuditEvent) -> None:
        self._db.audit_events.append(copy.deepcopy(event))
        self._wrote()

    async def list(
        self,
        *,
        limit: int,
        action: str | None = None,
        actor: str | None = None,
        after: AuditPosition | None = None,
    ) -> list[AuditEvent]:
        found = [
            e
            for e in self._db.audit_events
            if (action is None or e.action == action or e.action.startswith(action + "."))
            and (actor is None or e.actor == actor)
            and (after is None or (e.occurred_at, e.id) < (after.occurred_at, after.id))
        ]
        found.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return copy.deepcopy(found[:limit])

    async def list_for_target(
        self,
        target_type: str,
        target_id: str,
        *,
        limit: int,
        after: AuditPosition | None = None,
        since: datetime | None = None,
    ) -> list[AuditEvent]:
        found = [
            e
            for e in self._db.audit_events
            if e.target_type == target_type
            and e.target_id == target_id
            and (after is None or (e.occurred_at, e.id) < (after.occurred_at, after.id))
            and (since is None or e.occurred_at >= since)
        ]
        found.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return copy.deepcopy(found[:limit])


class FakeFailureStatistics(Table):
    """Groups the fake attempt history the way the SQL adapter groups in the database."""

    def _finished(self, since: datetime) -> list[GenerationAttempt]:
        return [
            a
            for a in self._db.generation_attempts.values()
            if a.outcome is not None
            and a.outcome.counts_towards_failure_rate
            and a.finished_at is not None
            and a.finished_at >= since
        ]

    async def attempt_counts(self, *, since: datetime, bucket: timedelta) -> list[AttemptCount]:
        step = timedelta(days=1) if bucket >= timedelta(days=1) else timedelta(hours=1)
        counts: dict[tuple[datetime, str, str | None], int] = {}
        for a in self._finished(since):
            assert a.finished_at is not None
            key = (
                floor_to(a.finished_at, step),
                str(a.outcome),
                None if a.error_category is None else str(a.error_category),
            )
            counts[key] = counts.get(key, 0) + 1
        return [
            AttemptCount(b, outcome, category, n) for (b, outcome, category), n in counts.items()
        ]

    async def failure_rate(self, *, since: datetime) -> tuple[int, int]:
        finished = self._finished(since)
        failed = [a for a in finished if a.outcome is not AttemptOutcome.COMPLETED]
        return len(finished), len(failed)


class FakeAlertStates(Table):
    async def fire(
        self, name: str, *, now: datetime, cooldown: timedelta, details: dict[str, object]
    ) -> bool:
        last = self._db.alert_states.get(name)
        if last is not None and last[0] > now - cooldown:
            return False
        self._db.alert_states[name] = (now, copy.deepcopy(details))
        self._wrote()
        return True

    async def last_fired(self, name: str) -> datetime | None:
        last = self._db.alert_states.get(name)
        return None if last is None else last[0]


class OperationsPart(Part):
    """The operations feature's fake repositories."""

    audit: AuditLog
    failure_stats: FailureStatistics
    alerts: AlertStates

    def attach(self) -> None:
        self.audit = FakeAuditLog(self)
        self.failure_stats = FakeFailureStatistics(self)
        self.alerts = FakeAlertStates(self)
        super().attach()
