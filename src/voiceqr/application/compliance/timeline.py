"""The versions of the terms and privacy policy a user accepted, for their timeline
(see `application.shared.timeline`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.compliance.ports import ComplianceUnitOfWork
from voiceqr.application.shared.timeline import TimelineEntry
from voiceqr.domain.compliance.documents import AcceptanceWay

WAYS = {
    AcceptanceWay.SIGNUP: "at sign-up",
    AcceptanceWay.SOCIAL_SIGNUP: "at sign-up with a social account",
    AcceptanceWay.REACCEPTANCE: "on the acceptance page",
}


@dataclass(frozen=True, slots=True)
class LegalAcceptances:
    uow: Callable[[], ComplianceUnitOfWork]
    kind: str = "legal"

    async def read(
        self, user_id: UUID, email: str, *, before: datetime, limit: int
    ) -> list[TimelineEntry]:
        async with self.uow() as uow:
            found = await uow.legal_acceptances.accepted_before(user_id, before=before, limit=limit)
        return [
            TimelineEntry(
                a.accepted_at,
                self.kind,
                f"Accepted the {a.kind.label.lower()}, version {a.version}",
                f"{WAYS[a.how]} · /{a.kind}/versions/{a.version}",
                key=str(a.id),
            )
            for a in found
        ]
