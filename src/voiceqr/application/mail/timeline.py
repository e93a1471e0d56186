"""The mail sent to an account's address, for its timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.timeline import TimelineEntry
from voiceqr.domain.mail.outbox import OutboxStatus


@dataclass(frozen=True, slots=True)
class MailSent:
    uow: Callable[[], MailUnitOfWork]
    kind: str = "mail"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            messages = await uow.outbox.list_to(email, before=before, limit=limit)
        return [
            TimelineEntry(
                m.created_at,
                self.kind,
                f"Mail “{m.subject}” ({m.kind})",
                f"{m.status}" + (f" · {m.last_error}" if m.last_error else ""),
                ok=m.status is not OutboxStatus.FAILED,
                key=str(m.id),
            )
            for m in messages
        ]
