"""What moderation's automation needs: the staff's filter terms, the flagging rules,
and the texts generations were made with (for the rules that compare requests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.moderation.ports import AutomaticFlagsUnitOfWork, ReportRepository
from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.moderation.rules import FlaggingRule, MadeText
from voiceqr.domain.moderation.text_filter import FilterTerm


class FilterTermRepository(Protocol):
    """The staff's own list of extra blocked and allowed terms and link domains."""

    async def list_all(self) -> list[FilterTerm]:
        """Every entry, by kind then text."""
        ...

    async def replace_all(self, terms: Sequence[FilterTerm], *, now: datetime) -> None:
        """The list becomes exactly `terms`."""
        ...


class FlaggingRuleRepository(Protocol):
    async def list_all(self) -> list[FlaggingRule]:
        """Every rule, by name."""
        ...

    async def get(self, rule_id: UUID) -> FlaggingRule | None: ...

    async def get_by_name(self, name: str) -> FlaggingRule | None: ...

    async def add(self, rule: FlaggingRule) -> None:
        """Raises `Conflict` (code `rule_exists`) when a rule has this name."""
        ...

    async def update(self, rule: FlaggingRule) -> None: ...

    async def delete(self, rule_id: UUID) -> None: ...


class MadeTexts(Protocol):
    """Generations as the rules see them (deleted ones included: they were made)."""

    async def latest(self, limit: int) -> list[MadeText]:
        """The last `limit` generations, newest first."""
        ...

    async def made_between(
        self, since: datetime, until: datetime, *, limit: int, owner_id: UUID | None = None
    ) -> list[MadeText]:
        """Generations made in (since, until], newest first, at most `limit`; only
        `owner_id`'s when given."""
        ...

    async def held(self, limit: int) -> list[MadeText]:
        """Generations waiting for review (`pending_review`, not deleted), oldest first."""
        ...


class AutomationUnitOfWork(AuditedUnitOfWork, Protocol):
    filter_terms: FilterTermRepository
    flagging_rules: FlaggingRuleRepository
    made_texts: MadeTexts


class ReportRulesUnitOfWork(AutomaticFlagsUnitOfWork, Protocol):
    """A report's transaction, as the reports rules read it: the generation's reports
    and flags, and the rules."""

    content_reports: ReportRepository
    flagging_rules: FlaggingRuleRepository
