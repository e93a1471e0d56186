"""Content moderation on SQLAlchemy Core: the repositories of cases, flags, reports,
decisions, appeals and notes (their tables are in `moderation_tables.py`), the
playback page's question "is this code withheld?", and moderators' search of every
generation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    RowMapping,
    Table,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.accounts import users
from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.moderation_tables import (
    content_reports,
    moderation_appeals,
    moderation_cases,
    moderation_decisions,
    moderation_flags,
    moderation_notes,
)
from voiceqr.adapters.database.organising import search_condition
from voiceqr.adapters.database.shared import Part, Repository, row_of
from voiceqr.adapters.database.spoken_rows import job_values
from voiceqr.application.moderation.ports import (
    AppealRepository,
    CaseRepository,
    CatalogueFilter,
    DecisionRepository,
    FlagRepository,
    GenerationCatalogue,
    MonthlyCount,
    NoteRepository,
    ReporterRecord,
    ReportRepository,
    appealed_already,
)
from voiceqr.application.playback.ports import WithheldCodeRepository, Withholding
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.generations.generation import Generation
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


class SqlWithheldCodes(Repository):
    """The playback page's question, answered from the moderation cases."""

    async def withheld(self, generation_id: UUID) -> Withholding | None:
        c = moderation_cases.c
        row = await self._first(select(c.state).where(c.generation_id == generation_id))
        return _WITHHELD.get(row["state"]) if row is not None else None


_WITHHELD: dict[str, Withholding] = {
    str(ModerationState.QUARANTINED): "quarantined",
    str(ModerationState.REMOVED): "removed",
}


class SqlCatalogue(Repository):
    """Every owner's generations for moderators: the History full-text search, the
    owner's email or name, and the moderation evidence."""

    async def search(
        self, which: CatalogueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Generation]:
        c = generations.c
        query = select(generations).where(c.deleted_at.is_(None))
        if which.text:
            found = search_condition(self._db.dialect.name, which.text)
            if found is not None:
                query = query.where(found)
        owner = which.owner.strip().lower()
        if owner:
            u = users.c
            matching_owners = select(u.id).where(
                or_(
                    func.lower(u.email).contains(owner, autoescape=True),
                    func.lower(u.name).contains(owner, autoescape=True),
                )
            )
            query = query.where(c.owner_id.in_(matching_owners))
        if which.status is not None:
            query = query.where(c.status == str(which.status))
        if which.voice_id is not None:
            query = query.where(c.voice_id == which.voice_id)
        if which.created_from is not None:
            query = query.where(c.created_at >= which.created_from)
        if which.created_to is not None:
            query = query.where(c.created_at < which.created_to)
        for wanted, table in ((which.flagged, moderation_flags), (which.reported, content_reports)):
            if wanted is not None:
                has = exists().where(table.c.generation_id == c.id)
                query = query.where(has if wanted else ~has)
        if after is not None:
            query = query.where(
                c.created_at <= after.created_at,
                or_(c.created_at < after.created_at, c.id < after.id),
            )
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        return [Generation(**job_values(row)) for row in await self._rows(query)]


class ModerationPart(Part):
    """The content moderation feature's share of the unit of work."""

    flags: FlagRepository
    content_reports: ReportRepository
    moderation_cases: CaseRepository
    moderation_decisions: DecisionRepository
    moderation_appeals: AppealRepository
    moderation_notes: NoteRepository
    withheld_codes: WithheldCodeRepository
    moderation_catalogue: GenerationCatalogue

    def attach(self, connection: AsyncConnection) -> None:
        self.flags = SqlFlags(connection)
        self.content_reports = SqlReports(connection)
        self.moderation_cases = SqlCases(connection)
        self.moderation_decisions = SqlDecisions(connection)
        self.moderation_appeals = SqlAppeals(connection)
        self.moderation_notes = SqlNotes(connection)
        self.withheld_codes = SqlWithheldCodes(connection)
        self.moderation_catalogue = SqlCatalogue(connection)
        super().attach(connection)
