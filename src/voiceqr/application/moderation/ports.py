"""What moderation needs: its cases, flags, reports, decisions, appeals and notes, and
in the same transaction the generations they are about, their owners, mail and the
audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from voiceqr.application.accounts.ports import UserRepository
from voiceqr.application.generations.ports import GenerationRepository, GenerationRevisionRepository
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.playback.ports import PlaybackEventRepository
from voiceqr.application.shared.ports import AuditedUnitOfWork, HistoryPosition, Transaction
from voiceqr.domain.generations.generation import Generation, GenerationStatus
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
from voiceqr.domain.shared.errors import Conflict

if TYPE_CHECKING:  # the rules' port module builds on this one
    from voiceqr.application.moderation.automation_ports import FlaggingRuleRepository


def appealed_already() -> Conflict:
    return Conflict("This decision was appealed already.", code="appealed_already")


@dataclass(frozen=True, slots=True)
class ReporterRecord:
    """How a reporter's earlier reports ended: how many were answered, how many upheld."""

    answered: int = 0
    upheld: int = 0


@dataclass(frozen=True, slots=True)
class MonthlyCount:
    """Decisions of one kind about one category in one month (the transparency page)."""

    month: date  # the first day of the month
    kind: DecisionKind
    reason_code: ReasonCode | None
    count: int


@dataclass(frozen=True, slots=True)
class CatalogueFilter:
    """Which generations of the whole platform moderators look through; every field
    left empty matches all. `text`: words that each start a word of the text (the
    History search); `owner`: part of the owner's email or name, any case."""

    text: str = ""
    owner: str = ""
    status: GenerationStatus | None = None
    voice_id: UUID | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # excluded
    flagged: bool | None = None  # has flags (True) or none (False)
    reported: bool | None = None  # has reports (True) or none (False)


class GenerationCatalogue(Protocol):
    async def search(
        self, which: CatalogueFilter, *, after: HistoryPosition | None, limit: int
    ) -> list[Generation]:
        """Every owner's live generations matching `which`, newest first by
        (created_at, id), strictly after `after` when given."""
        ...


class FlagRepository(Protocol):
    async def add(self, flag: Flag) -> None: ...

    async def for_generation(self, generation_id: UUID) -> list[Flag]:
        """Oldest first."""
        ...

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Flag]]:
        """Each generation's flags, oldest first; every id asked for has an entry."""
        ...


class ReportRepository(Protocol):
    async def add(self, report: Report) -> None: ...

    async def for_generations(self, generation_ids: Sequence[UUID]) -> dict[UUID, list[Report]]:
        """Each generation's reports, oldest first; every id asked for has an entry."""
        ...

    async def answer(
        self, generation_id: UUID, outcome: ReportOutcome, *, now: datetime
    ) -> list[Report]:
        """Mark the generation's unanswered reports with `outcome`; returns them."""
        ...

    async def records(self, reporter_keys: Sequence[str]) -> dict[str, ReporterRecord]:
        """Each reporter's answered and upheld reports; every key asked for has an entry."""
        ...


class CaseRepository(Protocol):
    async def add(self, case: ModerationCase) -> None: ...

    async def get(self, generation_id: UUID) -> ModerationCase | None: ...

    async def get_many(self, generation_ids: Sequence[UUID]) -> dict[UUID, ModerationCase]:
        """The cases there are among `generation_ids`."""
        ...

    async def update(self, case: ModerationCase) -> None: ...

    async def waiting(self, *, limit: int) -> list[ModerationCase]:
        """Cases in the queue (flagged, or under appeal), longest waiting first."""
        ...

    async def of_owner(self, owner_id: UUID) -> list[ModerationCase]:
        """Every case about the owner's generations."""
        ...

    async def in_state(self, generation_ids: Sequence[UUID], state: ModerationState) -> list[UUID]:
        """Those of `generation_ids` whose case is in `state`."""
        ...


class DecisionRepository(Protocol):
    async def add(self, decision: Decision) -> None: ...

    async def get(self, decision_id: UUID) -> Decision | None: ...

    async def for_generation(self, generation_id: UUID) -> list[Decision]:
        """Oldest first."""
        ...

    async def for_owner(self, owner_id: UUID, *, before: datetime, limit: int) -> list[Decision]:
        """Decisions about the owner's generations taken at or before `before`, newest
        first (their timeline and their generation pages)."""
        ...

    async def per_month(self, *, since: datetime) -> list[MonthlyCount]:
        """Decisions taken since `since`, counted per month, kind and category."""
        ...


class AppealRepository(Protocol):
    async def add(self, appeal: Appeal) -> None:
        """Conflict (`appealed_already`) when the decision was appealed already: an
        appeal is once per decision."""
        ...

    async def for_generation(self, generation_id: UUID) -> list[Appeal]:
        """Oldest first."""
        ...

    async def update(self, appeal: Appeal) -> None: ...


class NoteRepository(Protocol):
    async def add(self, note: ModerationNote) -> None: ...

    async def for_generation(self, generation_id: UUID) -> list[ModerationNote]:
        """Oldest first."""
        ...


class AutomaticFlagsUnitOfWork(Transaction, Protocol):
    """What an automatic flag touches in the transaction of the generation it is about
    (a request's or an edit's): the generation, its flags and its case."""

    flags: FlagRepository
    moderation_cases: CaseRepository
    generations: GenerationRepository


class ModerationUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, Protocol):
    flags: FlagRepository
    flagging_rules: FlaggingRuleRepository  # a report may set off a "reports within" rule
    content_reports: ReportRepository
    moderation_cases: CaseRepository
    moderation_decisions: DecisionRepository
    moderation_appeals: AppealRepository
    moderation_notes: NoteRepository
    moderation_catalogue: GenerationCatalogue
    generations: GenerationRepository
    generation_revisions: GenerationRevisionRepository
    playback_events: PlaybackEventRepository
    users: UserRepository
