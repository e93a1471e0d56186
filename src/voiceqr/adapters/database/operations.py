"""The audit log, failure statistics and alert states on SQLAlchemy Core.

Failure statistics read the attempt history of `generations`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Column,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.generations import generation_attempts
from voiceqr.adapters.database.shared import Part, Repository, metadata, row_of, upsert
from voiceqr.application.operations.ports import AlertStates, FailureStatistics
from voiceqr.application.shared.ports import AuditLog
from voiceqr.domain.generations.failures import AttemptOutcome
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition
from voiceqr.domain.operations.failure_monitoring import AttemptCount

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("occurred_at", DateTimeUTC, nullable=False),
    # The label keeps who it was after the account is gone; None: an operator at the CLI.
    Column("actor_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    Column("actor", String(254), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target_type", String(50), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("details", JsonB, nullable=False),
    Column("ip", String(64), nullable=False, server_default=""),
    # Newest first, whole log or by action or actor (keyset paging on occurred_at, id).
    Index("ix_audit_events_occurred", "occurred_at", "id"),
    Index("ix_audit_events_action_occurred", "action", "occurred_at"),
    Index("ix_audit_events_actor_occurred", "actor", "occurred_at"),
    # A user's timeline and the changes support made to their account.
    Index("ix_audit_events_target_occurred", "target_type", "target_id", "occurred_at"),
)

# When each alert last fired: the compare-and-set that keeps workers from repeating it.
alert_states = Table(
    "alert_states",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("fired_at", DateTimeUTC, nullable=False),
    Column("details", JsonB, nullable=False),
)


class SqlAuditLog(Repository):
    async def add(self, event: AuditEvent) -> None:
        await self._db.execute(insert(audit_events).values(row_of(audit_events, event)))

    async def list_for_target(
        self,
        target_type: str,
        target_id: str,
        *,
        limit: int,
        after: AuditPosition | None = None,
        since: datetime | None = None,
    ) -> list[AuditEvent]:
        c = audit_events.c
        query = (
            select(audit_events)
            .where(c.target_type == target_type, c.target_id == target_id)
            .order_by(c.occurred_at.desc(), c.id.desc())
            .limit(limit)
        )
        if after is not None:
            query = query.where(_before(after))
        if since is not None:
            query = query.where(c.occurred_at >= since)
        return [AuditEvent(**row) for row in await self._rows(query)]

    async def list(
        self,
        *,
        limit: int,
        action: str | None = None,
        actor: str | None = None,
        after: AuditPosition | None = None,
    ) -> list[AuditEvent]:
        c = audit_events.c
        query = select(audit_events).order_by(c.occurred_at.desc(), c.id.desc()).limit(limit)
        if action is not None:
            # Actions are checked dotted names (no LIKE wildcards in them).
            query = query.where(or_(c.action == action, c.action.startswith(action + ".")))
        if actor is not None:
            query = query.where(c.actor == actor)
        if after is not None:
            query = query.where(_before(after))
        return [AuditEvent(**row) for row in await self._rows(query)]


def _before(after: AuditPosition) -> ColumnElement[bool]:
    """The entries older than a page's last one (keyset paging, newest first)."""
    c = audit_events.c
    return or_(
        c.occurred_at < after.occurred_at,
        and_(c.occurred_at == after.occurred_at, c.id < after.id),
    )


class SqlFailureStatistics(Repository):
    def _bucket(self, step: timedelta) -> ColumnElement[Any]:
        """The start of the hour or UTC day of finished_at, as each engine writes it."""
        finished = generation_attempts.c.finished_at
        unit = "day" if step >= timedelta(days=1) else "hour"
        if self._db.dialect.name == "postgresql":
            return func.date_trunc(unit, func.timezone("UTC", finished))
        # SQLite keeps UTC times as 'YYYY-MM-DD HH:MM:SS.ffffff' text.
        pattern = "%Y-%m-%d 00:00:00" if unit == "day" else "%Y-%m-%d %H:00:00"
        return func.strftime(pattern, finished)

    async def attempt_counts(self, *, since: datetime, bucket: timedelta) -> list[AttemptCount]:
        a = generation_attempts.c
        start = self._bucket(bucket).label("bucket")
        query = (
            select(start, a.outcome, a.error_category, func.count().label("n"))
            .where(a.finished_at >= since, _counted(a.outcome))
            .group_by(start, a.outcome, a.error_category)
        )
        return [
            AttemptCount(
                bucket=_utc(row.bucket),
                outcome=row.outcome,
                category=row.error_category,
                count=int(row.n),
            )
            for row in await self._db.execute(query)
        ]

    async def failure_rate(self, *, since: datetime) -> tuple[int, int]:
        a = generation_attempts.c
        failed = case((a.outcome != str(AttemptOutcome.COMPLETED), 1), else_=0)
        row = (
            await self._db.execute(
                select(func.count(), func.coalesce(func.sum(failed), 0)).where(
                    a.finished_at >= since, _counted(a.outcome)
                )
            )
        ).one()
        return int(row[0]), int(row[1])


def _counted(outcome: Any) -> ColumnElement[bool]:
    """Finished attempts the failure rate counts: an administrator's cancel is not one."""
    not_counted = [str(o) for o in AttemptOutcome if not o.counts_towards_failure_rate]
    return and_(outcome.is_not(None), outcome.not_in(not_counted))


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlAlertStates(Repository):
    async def fire(
        self, name: str, *, now: datetime, cooldown: timedelta, details: dict[str, object]
    ) -> bool:
        # The first firing ever inserts the row; a concurrent second insert does nothing.
        inserted = await self._db.execute(
            upsert(self._db, alert_states)
            .values(name=name, fired_at=now, details=details)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        if inserted.rowcount == 1:
            return True
        # Later firings move fired_at only if the cooldown is over. PostgreSQL re-checks
        # the condition on the row another worker just updated, so only one wins; SQLite
        # takes the write lock at BEGIN and runs the two one after the other.
        s = alert_states.c
        updated = await self._db.execute(
            update(alert_states)
            .where(s.name == name, s.fired_at <= now - cooldown)
            .values(fired_at=now, details=details)
        )
        return bool(updated.rowcount == 1)

    async def last_fired(self, name: str) -> datetime | None:
        found = await self._db.execute(
            select(alert_states.c.fired_at).where(alert_states.c.name == name)
        )
        return found.scalar_one_or_none()


class OperationsPart(Part):
    """The operations feature's share of the unit of work."""

    audit: AuditLog
    failure_stats: FailureStatistics
    alerts: AlertStates

    def attach(self, connection: AsyncConnection) -> None:
        self.audit = SqlAuditLog(connection)
        self.failure_stats = SqlFailureStatistics(connection)
        self.alerts = SqlAlertStates(connection)
        super().attach(connection)
