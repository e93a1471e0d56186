"""The administrators' monitoring in the JSON API: failure statistics and the audit
log of admin actions. Admins only; API keys need the admin scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from voiceqr.application.operations.audit import MAX_AUDIT_PAGE
from voiceqr.application.operations.failure_monitoring import FailureStats
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.domain.operations.failure_monitoring import StatsWindow
from voiceqr.entrypoints.http.kit.auth import api_key_scopes
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY


class FailureBucketOut(msgspec.Struct):
    start: datetime
    finished: int  # attempts that finished in this hour (24h) or day (7d)
    failed: int
    by_category: dict[str, int]


class FailureRateOut(msgspec.Struct):
    since: datetime
    window_minutes: int
    finished: int
    failed: int
    rate: float  # failed / finished; 0 when nothing finished
    threshold: float
    min_attempts: int
    over_threshold: bool  # the alert condition holds right now
    last_alert_at: datetime | None


class FailureStatsOut(msgspec.Struct):
    window: str  # 24h or 7d
    bucket: str  # hour or day
    since: datetime
    until: datetime
    finished: int
    failed: int
    categories: list[str]  # most failures first
    buckets: list[FailureBucketOut]  # oldest first, empty ones included
    current: FailureRateOut


class AuditEventOut(msgspec.Struct):
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    actor: str  # the admin's email then, or "cli" for an operator at the terminal
    action: str
    target_type: str
    target_id: str
    details: dict[str, object]
    ip: str


class AuditPageOut(msgspec.Struct):
    items: list[AuditEventOut]
    next_cursor: str | None  # pass as ?cursor= for older entries; null: no more


def failure_stats_out(stats: FailureStats) -> FailureStatsOut:
    policy = stats.policy
    return FailureStatsOut(
        window=str(stats.window),
        bucket="hour" if stats.window is StatsWindow.DAY else "day",
        since=stats.buckets[0].start,
        until=stats.until,
        finished=stats.finished,
        failed=stats.failed,
        categories=stats.categories,
        buckets=[
            FailureBucketOut(
                start=b.start,
                finished=b.finished,
                failed=b.failed,
                by_category=b.failed_by_category,
            )
            for b in stats.buckets
        ],
        current=FailureRateOut(
            since=stats.current.since,
            window_minutes=int(policy.window.total_seconds() // 60),
            finished=stats.current.finished,
            failed=stats.current.failed,
            rate=round(stats.current.rate, 4),
            threshold=policy.threshold,
            min_attempts=policy.min_attempts,
            over_threshold=stats.over_threshold,
            last_alert_at=stats.last_alert_at,
        ),
    )


def audit_event_out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.id,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        target_type=event.target_type,
        target_id=event.target_id,
        details=event.details,
        ip=event.ip,
    )


class AdminMonitoringController(Controller):
    path = "/admin"
    tags = ["admin"]
    opt = api_key_scopes(GET=Scope.ADMIN)

    @get("/failures/stats", cache_control=NO_STORE_REPLY)
    async def failure_stats(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        window: FromQuery[StatsWindow] = StatsWindow.DAY,
    ) -> FailureStatsOut:
        """Failed generation attempts by category per hour (24h) or per day (7d), and the
        current failure rate against the alert threshold."""
        return failure_stats_out(
            await platform.operations.failure_monitor.stats(staff, window=window)
        )

    @get("/audit", cache_control=NO_STORE_REPLY)
    async def audit_log(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        action: FromQuery[str | None] = None,
        actor: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    ) -> AuditPageOut:
        """Admin actions, newest first. `action` filters on one action (generation.retry)
        or all under a prefix (generation); `actor` on an email or "cli"."""
        page = await platform.operations.audit.page(
            staff, limit=limit, action=action, actor=actor, cursor=cursor
        )
        return AuditPageOut(
            items=[audit_event_out(e) for e in page.items], next_cursor=page.next_cursor
        )
