"""An account's generations and their failures, for its timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.generations.ports import GenerationFilter, GenerationsUnitOfWork
from voiceqr.application.shared.timeline import TimelineEntry
from voiceqr.domain.generations.generation import GenerationStatus

_TICK = timedelta(microseconds=1)  # the filter's window ends before its end: include it


@dataclass(frozen=True, slots=True)
class GenerationsMade:
    uow: Callable[[], GenerationsUnitOfWork]
    kind: str = "generation"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            found = await uow.generations.list_owned(
                user_id, limit=limit, matching=GenerationFilter(created_to=before + _TICK)
            )
        entries = []
        for g in found:
            excerpt = g.text if len(g.text) <= 60 else g.text[:59] + "…"
            failed = g.status is GenerationStatus.FAILED
            why = f"{g.error_category} · {g.error_code}" if failed else ""
            entries.append(
                TimelineEntry(
                    g.created_at,
                    self.kind,
                    f"Generation “{excerpt}” ({g.status})",
                    why,
                    ok=not failed,
                    key=str(g.id),
                )
            )
        return entries
