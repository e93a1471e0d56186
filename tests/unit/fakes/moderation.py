"""Fake moderation cases, flags, reports, decisions, appeals and notes."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar
from uuid import UUID

from tests.unit.fakes.database import Part, Table
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
from voiceqr.domain.generations.organising import matches_search, search_terms, searched_text
from voiceqr.domain.moderation.cases import (
    Appeal,
    Decision,
    DecisionKind,
    ModerationCase,
    ModerationNote,
    ModerationState,
    Report,
    ReportOutcome,
)
from voiceqr.domain.moderation.flags import Flag, ReasonCode

_Row = TypeVar("_Row", Flag, Report, ModerationNote, Appeal)


def _by_generation(rows: list[_Row], generation_ids: Sequence[UUID]) -> dict[UUID, list[_Row]]:
    found: dict[UUID, list[_Row]] = {gid: [] for gid in generation_ids}
    for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
        if row.generation_id in found:
            found[row.generation_id].append(copy.deepcopy(row))
    return found


class FakeFlags(Table):
    async def add(self, flag: Flag) -> None:
        self._db.flags.append(copy.deepcopy(flag))
        self._wrote()

    async def for_generation(self, generation_id: UUID) -> list[Flag]:
        return _by_generation(self._db.flags, [generation_id])[generation_id]

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Flag]]:
        return _by_generation(self._db.flags, generation_ids)


class FakeReports(Table):
    async def add(self, report: Report) -> None:
        self._db.content_reports.append(copy.deepcopy(report))
        self._wrote()

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Report]]:
        return _by_generation(self._db.content_reports, generation_ids)

    async def answer(
        self, generation_id: UUID, outcome: ReportOutcome, *, now: datetime
    ) -> list[Report]:
        answered = []
        for report in sorted(self._db.content_reports, key=lambda r: (r.created_at, r.id)):
            if report.generation_id == generation_id and report.outcome is None:
                report.outcome, report.answered_at = outcome, now
                answered.append(copy.deepcopy(report))
        if answered:
            self._wrote()
        return answered

    async def records(self, reporter_keys: Sequence[str]) -> dict[str, ReporterRecord]:
        found = {}
        for key in reporter_keys:
            answered = [r for r in self._db.content_reports if r.reporter_key == key and r.outcome]
            upheld = sum(r.outcome is ReportOutcome.UPHELD for r in answered)
            found[key] = ReporterRecord(len(answered), upheld)
        return found


class FakeCases(Table):
    async def add(self, case: ModerationCase) -> None:
        self._db.moderation_cases[case.generation_id] = copy.deepcopy(case)
        self._wrote()

    async def get(self, generation_id: UUID) -> ModerationCase | None:
        return copy.deepcopy(self._db.moderation_cases.get(generation_id))

    async def get_many(self, generation_ids: Sequence[UUID]) -> dict[UUID, ModerationCase]:
        cases = self._db.moderation_cases
        return {gid: copy.deepcopy(cases[gid]) for gid in generation_ids if gid in cases}

    async def update(self, case: ModerationCase) -> None:
        self._db.moderation_cases[case.generation_id] = copy.deepcopy(case)
        self._wrote()

    async def waiting(self, *, limit: int) -> list[ModerationCase]:
        found = [c for c in self._db.moderation_cases.values() if c.waiting]
        found.sort(key=lambda c: (c.opened_at or c.created_at, c.generation_id))
        return copy.deepcopy(found[:limit])

    async def of_owner(self, owner_id: UUID) -> list[ModerationCase]:
        return copy.deepcopy(
            [c for c in self._db.moderation_cases.values() if c.owner_id == owner_id]
        )

    async def in_state(self, generation_ids: Sequence[UUID], state: ModerationState) -> list[UUID]:
        cases = self._db.moderation_cases
        return [gid for gid in generation_ids if gid in cases and cases[gid].state is state]


class FakeDecisions(Table):
    async def add(self, decision: Decision) -> None:
        self._db.moderation_decisions.append(decision)
        self._wrote()

    async def get(self, decision_id: UUID) -> Decision | None:
        return next((d for d in self._db.moderation_decisions if d.id == decision_id), None)

    async def for_generation(self, generation_id: UUID) -> list[Decision]:
        found = [d for d in self._db.moderation_decisions if d.generation_id == generation_id]
        return sorted(found, key=lambda d: (d.decided_at, d.id))

    async def for_owner(self, owner_id: UUID, *, before: datetime, limit: int) -> list[Decision]:
        found = [
            d
            for d in self._db.moderation_decisions
            if d.owner_id == owner_id and d.decided_at <= before
        ]
        return sorted(found, key=lambda d: (d.decided_at, d.id), reverse=True)[:limit]

    async def per_month(self, *, since: datetime) -> list[MonthlyCount]:
        counts: Counter[tuple[date, DecisionKind, ReasonCode | None]] = Counter(
            (d.decided_at.date().replace(day=1), d.kind, d.reason_code)
            for d in self._db.moderation_decisions
            if d.decided_at >= since
        )
        return [
            MonthlyCount(month, kind, code, n)
            for (month, kind, code), n in sorted(
                counts.items(), key=lambda i: (i[0][0], i[0][1], i[0][2] or "")
            )
        ]


class FakeAppeals(Table):
    async def add(self, appeal: Appeal) -> None:
        if any(a.decision_id == appeal.decision_id for a in self._db.moderation_appeals):
            raise appealed_already()
        self._db.moderation_appeals.append(copy.deepcopy(appeal))
        self._wrote()

    async def for_generation(self, generation_id: UUID) -> list[Appeal]:
        return _by_generation(self._db.moderation_appeals, [generation_id])[generation_id]

    async def update(self, appeal: Appeal) -> None:
        appeals = self._db.moderation_appeals
        appeals[:] = [copy.deepcopy(appeal) if a.id == appeal.id else a for a in appeals]
        self._wrote()


class FakeNotes(Table):
    async def add(self, note: ModerationNote) -> None:
        self._db.moderation_notes.append(note)
        self._wrote()

    async def for_generation(self, generation_id: UUID) -> list[ModerationNote]:
        return _by_generation(self._db.moderation_notes, [generation_id])[generation_id]


class FakeWithheldCodes(Table):
    async def withheld(self, generation_id: UUID) -> Withholding | None:
        case = self._db.moderation_cases.get(generation_id)
        if case is None:
            return None
        if case.state is ModerationState.QUARANTINED:
            return "quarantined"
        return "removed" if case.state is ModerationState.REMOVED else None


class FakeCatalogue(Table):
    async def search(
        self, which: CatalogueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Generation]:
        terms = search_terms(which.text) if which.text else ()
        owner = which.owner.strip().lower()
        flagged = {f.generation_id for f in self._db.flags}
        reported = {r.generation_id for r in self._db.content_reports}

        def owner_matches(g: Generation) -> bool:
            user = self._db.users.get(g.owner_id)
            return user is not None and (owner in user.email.lower() or owner in user.name.lower())

        found = [
            g
            for g in self._db.generations.values()
            if not g.is_deleted
            and (not terms or matches_search(searched_text(g.title, g.text), terms))
            and (not owner or owner_matches(g))
            and (which.status is None or g.status is which.status)
            and (which.voice_id is None or g.voice_id == which.voice_id)
            and (which.created_from is None or g.created_at >= which.created_from)
            and (which.created_to is None or g.created_at < which.created_to)
            and (which.flagged is None or (g.id in flagged) == which.flagged)
            and (which.reported is None or (g.id in reported) == which.reported)
            and (after is None or (g.created_at, g.id) < (after.created_at, after.id))
        ]
        found.sort(key=lambda g: (g.created_at, g.id), reverse=True)
        return copy.deepcopy(found[:limit])


class ModerationPart(Part):
    """The content moderation feature's fake repositories."""

    flags: FlagRepository
    content_reports: ReportRepository
    moderation_cases: CaseRepository
    moderation_decisions: DecisionRepository
    moderation_appeals: AppealRepository
    moderation_notes: NoteRepository
    withheld_codes: WithheldCodeRepository
    moderation_catalogue: GenerationCatalogue

    def attach(self) -> None:
        self.flags = FakeFlags(self)
        self.content_reports = FakeReports(self)
        self.moderation_cases = FakeCases(self)
        self.moderation_decisions = FakeDecisions(self)
        self.moderation_appeals = FakeAppeals(self)
        self.moderation_notes = FakeNotes(self)
        self.withheld_codes = FakeWithheldCodes(self)
        self.moderation_catalogue = FakeCatalogue(self)
        super().attach()
