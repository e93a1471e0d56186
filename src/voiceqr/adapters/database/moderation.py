"""Content moderation on SQLAlchemy Core: cases, flags, reports, decisions, appeals, notes.

Everything here belongs to a generation and goes with it (deleted with the account);
a staff member who leaves leaves their decisions, flags and notes in place without them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.application.moderation.ports import (
    AppealRepository,
    CaseRepository,
    DecisionRepository,
    FlagRepository,
    MonthlyCount,
    NoteRepository,
    ReporterRecord,
    ReportRepository,
    appealed_already,
)
from voiceqr.domain.moderation.cases import (
    Appeal,
    Decision,
    DecisionKind,
    ModerationCase,
    ModerationNote,
    ModerationState,
    Report,
    ReportOutcome,
    Sanction,
)
from voiceqr.domain.moderation.flags import Flag, FlagSource, ReasonCode


def _staff(name: str) -> Column[Any]:
    return Column(name, GUID, ForeignKey("users.id", ondelete="SET NULL"))


moderation_cases = Table(
    "moderation_cases",
    metadata,
    Column(
        "generation_id", GUID, ForeignKey("generations.id", ondelete="CASCADE"), primary_key=True
    ),
    belongs_to("owner_id", "users", nullable=False),
    Column("state", String(20), nullable=False),
    Column("opened_at", DateTimeUTC),
    _staff("claimed_by"),
    Column("claimed_at", DateTimeUTC),
    Column("reviewed_fine_revision", Integer),
    Column("escalated_at", DateTimeUTC),
    Column("last_decision_id", GUID),
    Column("appeal_pending", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    # The queue (waiting cases, longest waiting first); an owner's cases (a ban).
    Index("ix_moderation_cases_opened", "opened_at"),
    Index("ix_moderation_cases_owner", "owner_id"),
)

moderation_flags = Table(
    "moderation_flags",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("source", String(20), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("rule_id", GUID),  # the automated rule that fired, if one did
    _staff("created_by"),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_moderation_flags_generation_created", "generation_id", "created_at"),
    Index("ix_moderation_flags_rule", "rule_id"),
)

content_reports = Table(
    "moderation_reports",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("reason", String(30), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("email", String(254)),
    Column("reporter_key", String(64), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("outcome", String(20)),
    Column("answered_at", DateTimeUTC),
    Index("ix_moderation_reports_generation_created", "generation_id", "created_at"),
    Index("ix_moderation_reports_reporter", "reporter_key"),
)

moderation_decisions = Table(
    "moderation_decisions",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    belongs_to("owner_id", "users", nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reason_code", String(30)),
    Column("reason", String(500), nullable=False),
    _staff("decided_by"),
    Column("decided_by_label", String(254), nullable=False),
    Column("decided_at", DateTimeUTC, nullable=False),
    Column("sanction", String(20)),
    Column("until", DateTimeUTC),
    Column("codes_quarantined", Integer, nullable=False, server_default="0"),
    Index("ix_moderation_decisions_generation_decided", "generation_id", "decided_at"),
    Index("ix_moderation_decisions_owner_decided", "owner_id", "decided_at"),
    Index("ix_moderation_decisions_decided", "decided_at"),
)

moderation_appeals = Table(
    "moderation_appeals",
    metadata,
    Column("id", GUID, primary_key=True),
    # One appeal per decision: the unique key is the rule, not a check before writing.
    Column(
        "decision_id",
        GUID,
        ForeignKey("moderation_decisions.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    belongs_to("generation_id", "generations", nullable=False),
    belongs_to("owner_id", "users", nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("answered_at", DateTimeUTC),
    Column("upheld", Boolean),
    Index("ix_moderation_appeals_generation", "generation_id"),
)

moderation_notes = Table(
    "moderation_notes",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    _staff("author_id"),
    Column("author_label", String(254), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Index("ix_moderation_notes_generation_created", "generation_id", "created_at"),
)


def _case(row: RowMapping) -> ModerationCase:
    values = dict(row)
    values["state"] = ModerationState(values["state"])
    return ModerationCase(**values)


def _flag(row: RowMapping) -> Flag:
    values = dict(row)
    values["source"], values["reason"] = FlagSource(row["source"]), ReasonCode(row["reason"])
    return Flag(**values)


def _report(row: RowMapping) -> Report:
    values = dict(row)
    values["reason"] = ReasonCode(row["reason"])
    values["outcome"] = None if row["outcome"] is None else ReportOutcome(row["outcome"])
    return Report(**values)


def _decision(row: RowMapping) -> Decision:
    values = dict(row)
    values["kind"] = DecisionKind(row["kind"])
    values["reason_code"] = None if row["reason_code"] is None else ReasonCode(row["reason_code"])
    values["sanction"] = None if row["sanction"] is None else Sanction(row["sanction"])
    return Decision(**values)


def _text_enums(row: dict[str, Any]) -> dict[str, Any]:
    """Enum members stored by their value (StrEnum already is a str; None stays)."""
    return {key: str(value) if isinstance(value, str) else value for key, value in row.items()}


class _ByGeneration(Repository):
    """Rows of one table about generations, oldest first."""

    _table: Table

    async def _of(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[RowMapping]]:
        found: dict[UUID, list[RowMapping]] = {gid: [] for gid in generation_ids}
        if not generation_ids:
            return found
        c = self._table.c
        query = (
            select(self._table)
            .where(c.generation_id.in_(list(generation_ids)))
            .order_by(c.created_at, c.id)
        )
        for row in await self._rows(query):
            found[row["generation_id"]].append(row)
        return found


class SqlFlags(_ByGeneration):
    _table = moderation_flags

    async def add(self, flag: Flag) -> None:
        await self._db.execute(
            insert(moderation_flags).values(_text_enums(row_of(moderation_flags, flag)))
        )

    async def for_generation(self, generation_id: UUID) -> list[Flag]:
        return (await self.for_generations([generation_id]))[generation_id]

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Flag]]:
        return {
            gid: [_flag(r) for r in rows] for gid, rows in (await self._of(generation_ids)).items()
        }


class SqlReports(_ByGeneration):
    _table = content_reports

    async def add(self, report: Report) -> None:
        await self._db.execute(
            insert(content_reports).values(_text_enums(row_of(content_reports, report)))
        )

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Report]]:
        return {
            gid: [_report(r) for r in rows]
            for gid, rows in (await self._of(generation_ids)).items()
        }

    async def answer(
        self, generation_id: UUID, outcome: ReportOutcome, *, now: datetime
    ) -> list[Report]:
        c = content_reports.c
        open_reports = [
            _report(row)
            for row in await self._rows(
                select(content_reports)
                .where(c.generation_id == generation_id, c.outcome.is_(None))
                .order_by(c.created_at, c.id)
            )
        ]
        if open_reports:
            await self._db.execute(
                update(content_reports)
                .where(c.id.in_([r.id for r in open_reports]))
                .values(outcome=str(outcome), answered_at=now)
            )
        for report in open_reports:
            report.outcome, report.answered_at = outcome, now
        return open_reports

    async def records(self, reporter_keys: Sequence[str]) -> dict[str, ReporterRecord]:
        found = {key: ReporterRecord() for key in reporter_keys}
        if not reporter_keys:
            return found
        c = content_reports.c
        upheld = func.sum(case((c.outcome == str(ReportOutcome.UPHELD), 1), else_=0))
        query = (
            select(c.reporter_key, func.count().label("answered"), upheld.label("upheld"))
            .where(c.reporter_key.in_(list(set(reporter_keys))), c.outcome.is_not(None))
            .group_by(c.reporter_key)
        )
        for row in await self._rows(query):
            found[row["reporter_key"]] = ReporterRecord(
                int(row["answered"]), int(row["upheld"] or 0)
            )
        return found


class SqlCases(Repository):
    async def add(self, case_: ModerationCase) -> None:
        await self._db.execute(
            insert(moderation_cases).values(_text_enums(row_of(moderation_cases, case_)))
        )

    async def get(self, generation_id: UUID) -> ModerationCase | None:
        row = await self._first(
            select(moderation_cases).where(moderation_cases.c.generation_id == generation_id)
        )
        return None if row is None else _case(row)

    async def get_many(self, generation_ids: Sequence[UUID]) -> dict[UUID, ModerationCase]:
        if not generation_ids:
            return {}
        query = select(moderation_cases).where(
            moderation_cases.c.generation_id.in_(list(generation_ids))
        )
        return {row["generation_id"]: _case(row) for row in await self._rows(query)}

    async def update(self, case_: ModerationCase) -> None:
        c = moderation_cases.c
        await self._db.execute(
            update(moderation_cases)
            .where(c.generation_id == case_.generation_id)
            .values(_text_enums(row_of(moderation_cases, case_)))
        )

    async def waiting(self, *, limit: int) -> list[ModerationCase]:
        c = moderation_cases.c
        query = (
            select(moderation_cases)
            .where(or_(c.state == str(ModerationState.FLAGGED), c.appeal_pending.is_(True)))
            .order_by(c.opened_at, c.generation_id)
            .limit(limit)
        )
        return [_case(row) for row in await self._rows(query)]

    async def of_owner(self, owner_id: UUID) -> list[ModerationCase]:
        query = select(moderation_cases).where(moderation_cases.c.owner_id == owner_id)
        return [_case(row) for row in await self._rows(query)]

    async def in_state(self, generation_ids: Sequence[UUID], state: ModerationState) -> list[UUID]:
        if not generation_ids:
            return []
        c = moderation_cases.c
        query = select(c.generation_id).where(
            c.generation_id.in_(list(generation_ids)), c.state == str(state)
        )
        return [row["generation_id"] for row in await self._rows(query)]


class SqlDecisions(Repository):
    async def add(self, decision: Decision) -> None:
        await self._db.execute(
            insert(moderation_decisions).values(_text_enums(row_of(moderation_decisions, decision)))
        )

    async def get(self, decision_id: UUID) -> Decision | None:
        row = await self._first(
            select(moderation_decisions).where(moderation_decisions.c.id == decision_id)
        )
        return None if row is None else _decision(row)

    async def for_generation(self, generation_id: UUID) -> list[Decision]:
        c = moderation_decisions.c
        query = (
            select(moderation_decisions)
            .where(c.generation_id == generation_id)
            .order_by(c.decided_at, c.id)
        )
        return [_decision(row) for row in await self._rows(query)]

    async def for_owner(self, owner_id: UUID, *, before: datetime, limit: int) -> list[Decision]:
        c = moderation_decisions.c
        query = (
            select(moderation_decisions)
            .where(c.owner_id == owner_id, c.decided_at <= before)
            .order_by(c.decided_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_decision(row) for row in await self._rows(query)]

    async def per_month(self, *, since: datetime) -> list[MonthlyCount]:
        # Counted here rather than grouped in SQL: the month of a timestamp is spelled
        # differently on each engine, and a year of decisions is a small read.
        c = moderation_decisions.c
        query = select(c.decided_at, c.kind, c.reason_code).where(c.decided_at >= since)
        counts: Counter[tuple[date, str, str | None]] = Counter()
        for row in await self._rows(query):
            month = row["decided_at"].date().replace(day=1)
            counts[(month, row["kind"], row["reason_code"])] += 1
        return [
            MonthlyCount(month, DecisionKind(kind), None if code is None else ReasonCode(code), n)
            for (month, kind, code), n in sorted(
                counts.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or "")
            )
        ]


class SqlAppeals(Repository):
    async def add(self, appeal: Appeal) -> None:
        await self._unique(
            insert(moderation_appeals).values(row_of(moderation_appeals, appeal)),
            appealed_already(),
        )

    async def for_generation(self, generation_id: UUID) -> list[Appeal]:
        c = moderation_appeals.c
        query = (
            select(moderation_appeals)
            .where(c.generation_id == generation_id)
            .order_by(c.created_at, c.id)
        )
        return [Appeal(**row) for row in await self._rows(query)]

    async def update(self, appeal: Appeal) -> None:
        await self._db.execute(
            update(moderation_appeals)
            .where(moderation_appeals.c.id == appeal.id)
            .values(row_of(moderation_appeals, appeal))
        )


class SqlNotes(Repository):
    async def add(self, note: ModerationNote) -> None:
        await self._db.execute(insert(moderation_notes).values(row_of(moderation_notes, note)))

    async def for_generation(self, generation_id: UUID) -> list[ModerationNote]:
        c = moderation_notes.c
        query = (
            select(moderation_notes)
            .where(c.generation_id == generation_id)
            .order_by(c.created_at, c.id)
        )
        return [ModerationNote(**row) for row in await self._rows(query)]


class ModerationPart(Part):
    """The content moderation feature's share of the unit of work."""

    flags: FlagRepository
    content_reports: ReportRepository
    moderation_cases: CaseRepository
    moderation_decisions: DecisionRepository
    moderation_appeals: AppealRepository
    moderation_notes: NoteRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.flags = SqlFlags(connection)
        self.content_reports = SqlReports(connection)
        self.moderation_cases = SqlCases(connection)
        self.moderation_decisions = SqlDecisions(connection)
        self.moderation_appeals = SqlAppeals(connection)
        self.moderation_notes = SqlNotes(connection)
        super().attach(connection)
