"""Fake terms and privacy policy versions and their acceptances."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.compliance.ports import AcceptanceRepository, LegalDocumentRepository
from voiceqr.domain.compliance.documents import Acceptance, DocumentKind, LegalDocument
from voiceqr.domain.shared.errors import Conflict


class FakeLegalDocuments(Table):
    async def add(self, document: LegalDocument) -> None:
        if any(
            d.kind is document.kind and d.version == document.version
            for d in self._db.legal_documents
        ):
            raise Conflict("That version was just published.", code="document_version_taken")
        self._db.legal_documents.append(document)  # frozen: no copy needed
        self._wrote()

    async def versions(self, kind: DocumentKind) -> list[LegalDocument]:
        return sorted(
            (d for d in self._db.legal_documents if d.kind is kind), key=lambda d: d.version
        )

    async def all(self) -> list[LegalDocument]:
        return sorted(self._db.legal_documents, key=lambda d: (str(d.kind), d.version))


class FakeAcceptances(Table):
    async def add(self, acceptance: Acceptance) -> None:
        self._db.legal_acceptances.append(acceptance)
        self._wrote()

    async def latest_versions(self, user_id: UUID) -> dict[DocumentKind, int]:
        latest: dict[DocumentKind, int] = {}
        for a in self._db.legal_acceptances:
            if a.user_id == user_id:
                latest[a.kind] = max(latest.get(a.kind, 0), a.version)
        return latest

    async def of_user(self, user_id: UUID) -> list[Acceptance]:
        mine = [a for a in self._db.legal_acceptances if a.user_id == user_id]
        return sorted(mine, key=lambda a: (a.accepted_at, str(a.kind), a.version))

    async def accepted_before(
        self, user_id: UUID, *, before: datetime, limit: int
    ) -> list[Acceptance]:
        mine = [
            a
            for a in self._db.legal_acceptances
            if a.user_id == user_id and a.accepted_at <= before
        ]
        return sorted(mine, key=lambda a: (a.accepted_at, a.id), reverse=True)[:limit]

    async def counts(self) -> dict[tuple[DocumentKind, int], int]:
        users: dict[tuple[DocumentKind, int], set[UUID]] = {}
        for a in self._db.legal_acceptances:
            users.setdefault((a.kind, a.version), set()).add(a.user_id)
        return {key: len(found) for key, found in users.items()}


class CompliancePart(Part):
    """The terms and privacy feature's fake repositories."""

    legal_documents: LegalDocumentRepository
    legal_acceptances: AcceptanceRepository

    def attach(self) -> None:
        self.legal_documents = FakeLegalDocuments(self)
        self.legal_acceptances = FakeAcceptances(self)
        super().attach()
