"""The tickets a user opened, for their timeline (see `application.shared.timeline`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.shared.timeline import TimelineEntry
from voiceqr.application.support.ports import SupportUnitOfWork
from voiceqr.domain.support.tickets import STATUS_LABELS


@dataclass(frozen=True, slots=True)
class TicketsOpened:
    uow: Callable[[], SupportUnitOfWork]
    kind: str = "ticket"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            opened = await uow.tickets.opened_before(user_id, before=before, limit=limit)
        return [
            TimelineEntry(
                t.created_at,
                self.kind,
                f"Opened a ticket: {t.subject}",
                f"{STATUS_LABELS[t.status]} · /admin/support/{t.id}",
                key=str(t.id),
            )
            for t in opened
        ]
