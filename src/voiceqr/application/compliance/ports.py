"""What the terms and privacy feature needs: the published versions and the acceptances.

`LegalRecordsUnitOfWork` is the part other features' transactions carry when they
record an acceptance with their own change (sign-up writes the account and its
acceptances together).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.shared.ports import AuditedUnitOfWork, Transaction
from voiceqr.domain.compliance.documents import Acceptance, DocumentKind, LegalDocument


class LegalDocumentRepository(Protocol):
    async def add(self, document: LegalDocument) -> None:
        """Store a new version; Conflict when its (kind, version) is taken meanwhile."""
        ...

    async def versions(self, kind: DocumentKind) -> list[LegalDocument]:
        """Every version of `kind`, oldest first."""
        ...

    async def all(self) -> list[LegalDocument]:
        """Every version of every kind, by kind then version."""
        ...


class AcceptanceRepository(Protocol):
    async def add(self, acceptance: Acceptance) -> None: ...

    async def latest_versions(self, user_id: UUID) -> dict[DocumentKind, int]:
        """The newest version of each kind the user accepted (kinds never accepted are absent)."""
        ...

    async def of_user(self, user_id: UUID) -> list[Acceptance]:
        """Every acceptance of the user, oldest first."""
        ...

    async def accepted_before(
        self, user_id: UUID, *, before: datetime, limit: int
    ) -> list[Acceptance]:
        """At most `limit` of the user's acceptances at or before `before`, newest first."""
        ...

    async def counts(self) -> dict[tuple[DocumentKind, int], int]:
        """How many users accepted each (kind, version)."""
        ...


class LegalRecordsUnitOfWork(Transaction, Protocol):
    legal_documents: LegalDocumentRepository
    legal_acceptances: AcceptanceRepository


class ComplianceUnitOfWork(LegalRecordsUnitOfWork, AuditedUnitOfWork, Protocol):
    """The documents and acceptances with the audit log, in one transaction."""
