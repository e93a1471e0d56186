"""Moderation's history outside the item page: the decisions on a user's timeline (see
`application.shared.timeline`), and the public transparency counts (no names)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from voiceqr.application.moderation.ports import ModerationUnitOfWork, MonthlyCount
from voiceqr.application.shared.timeline import TimelineEntry
from voiceqr.domain.moderation.cases import DECISION_LABELS
from voiceqr.domain.moderation.flags import REASON_LABELS

TRANSPARENCY_MONTHS = 12


@dataclass(frozen=True, slots=True)
class DecisionsTaken:
    """The moderation decisions about a user's generations, for their timeline."""

    uow: Callable[[], ModerationUnitOfWork]
    kind: str = "moderation"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            decisions = await uow.moderation_decisions.for_owner(
                user_id, before=before, limit=limit
            )
        return [
            TimelineEntry(
                d.decided_at,
                self.kind,
                f"Moderation: {DECISION_LABELS[d.kind].lower()}"
                + (f" ({REASON_LABELS[d.reason_code].lower()})" if d.reason_code else ""),
                f"{d.reason} · by {d.decided_by_label} · /admin/moderation/{d.generation_id}",
                key=str(d.id),
            )
            for d in decisions
        ]


@dataclass(frozen=True, slots=True)
class Transparency:
    """Decisions per month by category, for the public: counts only, no names."""

    uow: Callable[[], ModerationUnitOfWork]
    clock: Callable[[], datetime]

    async def per_month(self, months: int = TRANSPARENCY_MONTHS) -> list[MonthlyCount]:
        today = self.clock().date()
        first = date(today.year, today.month, 1)
        for _ in range(months - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        since = datetime(first.year, first.month, 1, tzinfo=self.clock().tzinfo)
        async with self.uow() as uow:
            return await uow.moderation_decisions.per_month(since=since)
