"""Who accepted which version: at sign-up (in the sign-up's own transaction), and on
the acceptance page a material new version sends every user to before anything else.

`still_to_accept` runs on every signed-in page, so it remembers who is up to date:
acceptances are only ever added, so a user up to date with the required versions
stays so until a newer material version is required (which changes the key).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from voiceqr.application.compliance.documents import LegalDocuments
from voiceqr.application.compliance.ports import ComplianceUnitOfWork, LegalRecordsUnitOfWork
from voiceqr.domain.compliance.documents import (
    Acceptance,
    AcceptanceWay,
    DocumentKind,
    LegalDocument,
    accepted,
    live_version,
    required_version,
    still_to_accept,
)
from voiceqr.domain.shared.errors import Conflict

UP_TO_DATE_REMEMBERED = 10_000


async def accept_live_documents(
    uow: LegalRecordsUnitOfWork, user_id: UUID, how: AcceptanceWay, now: datetime
) -> list[Acceptance]:
    """Record, in `uow`'s transaction, that the user accepts the version of each kind in
    force now (a kind with no version yet is skipped): what signing up agrees to."""
    recorded = []
    for kind in DocumentKind:
        document = live_version(await uow.legal_documents.versions(kind), now.date())
        if document is not None:
            acceptance = accepted(user_id, document, how, now)
            await uow.legal_acceptances.add(acceptance)
            recorded.append(acceptance)
    return recorded


@dataclass(frozen=True, slots=True)
class AcceptanceRequest:
    """What the acceptance page shows: each live version the user must accept, with
    the version they accepted last (None: never)."""

    documents: list[LegalDocument]
    last_accepted: Mapping[DocumentKind, int]


@dataclass(slots=True, kw_only=True)
class Acceptances:
    uow: Callable[[], ComplianceUnitOfWork]
    documents: LegalDocuments
    clock: Callable[[], datetime]
    _up_to_date: OrderedDict[tuple[UUID, tuple[int, ...]], None] = field(
        default_factory=OrderedDict, init=False
    )

    async def _required(self) -> dict[DocumentKind, int]:
        every = await self.documents.every_version()
        today = self.clock().date()
        return {k: required_version([d for d in every if d.kind is k], today) for k in DocumentKind}

    async def still_to_accept(self, user_id: UUID) -> list[DocumentKind]:
        """The kinds whose material version in force the user has not accepted yet."""
        required = await self._required()
        if not any(required.values()):
            return []
        key = (user_id, tuple(required.values()))
        if key in self._up_to_date:
            self._up_to_date.move_to_end(key)
            return []
        async with self.uow() as uow:
            latest = await uow.legal_acceptances.latest_versions(user_id)
        pending = still_to_accept(required, latest)
        if not pending:
            self._up_to_date[key] = None
            if len(self._up_to_date) > UP_TO_DATE_REMEMBERED:
                self._up_to_date.popitem(last=False)
        return pending

    async def request(self, user_id: UUID) -> AcceptanceRequest:
        """The live versions the user must accept now (empty when up to date)."""
        pending = await self.still_to_accept(user_id)
        live = await self.documents.live()
        async with self.uow() as uow:
            latest = await uow.legal_acceptances.latest_versions(user_id)
        return AcceptanceRequest([live[k] for k in pending if k in live], latest)

    async def accept(self, user_id: UUID, versions: Mapping[DocumentKind, int]) -> list[Acceptance]:
        """The user accepts the versions they were shown. Versions that are no longer
        the live ones (a newer one came into force meanwhile) are refused (Conflict):
        nobody accepts a text they did not see."""
        now = self.clock()
        live = await self.documents.live()
        for kind, version in versions.items():
            if kind not in live or live[kind].version != version:
                raise Conflict(
                    f"The {kind.label.lower()} changed while you were reading; read the "
                    "new version.",
                    code="document_changed",
                )
        async with self.uow() as uow:
            latest = await uow.legal_acceptances.latest_versions(user_id)
            recorded = []
            for kind, version in versions.items():
                if latest.get(kind, 0) >= version:
                    continue  # accepted already (a second tab): nothing to add
                acceptance = accepted(user_id, live[kind], AcceptanceWay.REACCEPTANCE, now)
                await uow.legal_acceptances.add(acceptance)
                recorded.append(acceptance)
            await uow.commit()
        return recorded

    async def of_user(self, user_id: UUID) -> list[Acceptance]:
        """Every acceptance of the user, oldest first (their data export)."""
        async with self.uow() as uow:
            return await uow.legal_acceptances.of_user(user_id)
