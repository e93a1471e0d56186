"""The terms and privacy policy on SQLAlchemy Core: the published versions (rows never
updated) and the users' acceptances, which go with the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.application.compliance.ports import AcceptanceRepository, LegalDocumentRepository
from voiceqr.domain.compliance.documents import (
    Acceptance,
    AcceptanceWay,
    DocumentKind,
    LegalDocument,
)
from voiceqr.domain.shared.errors import Conflict

legal_documents = Table(
    "legal_documents",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("effective_on", Date, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("material", Boolean, nullable=False),
    Column("published_at", DateTimeUTC, nullable=False),
    Column("published_by", String(254), nullable=False),
    Column("published_by_id", GUID, ForeignKey("users.id", ondelete="SET NULL")),
    # Two admins publishing at once: one gets the number, the other a conflict.
    UniqueConstraint("kind", "version", name="uq_legal_documents_kind_version"),
)

legal_acceptances = Table(
    "legal_acceptances",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("accepted_at", DateTimeUTC, nullable=False),
    Column("how", String(20), nullable=False),
    # A user's latest version per kind (every signed-in page, until remembered), their
    # timeline; the admin page's counts per version.
    Index("ix_legal_acceptances_user_kind_version", "user_id", "kind", "version"),
    Index("ix_legal_acceptances_kind_version", "kind", "version"),
)


def _document(row: RowMapping) -> LegalDocument:
    values = dict(row)
    values["kind"] = DocumentKind(values["kind"])
    return LegalDocument(**values)


def _acceptance(row: RowMapping) -> Acceptance:
    values = dict(row)
    values["kind"] = DocumentKind(values["kind"])
    values["how"] = AcceptanceWay(values["how"])
    return Acceptance(**values)


def _document_row(document: LegalDocument) -> dict[str, Any]:
    row = row_of(legal_documents, document)
    row["kind"] = str(document.kind)
    return row


class SqlLegalDocuments(Repository):
    async def add(self, document: LegalDocument) -> None:
        await self._unique(
            insert(legal_documents).values(_document_row(document)),
            Conflict(
                f"Version {document.version} of the {document.title.lower()} was just "
                "published by someone else; look at it first.",
                code="document_version_taken",
            ),
        )

    async def versions(self, kind: DocumentKind) -> list[LegalDocument]:
        c = legal_documents.c
        query = select(legal_documents).where(c.kind == str(kind)).order_by(c.version)
        return [_document(row) for row in await self._rows(query)]

    async def all(self) -> list[LegalDocument]:
        c = legal_documents.c
        query = select(legal_documents).order_by(c.kind, c.version)
        return [_document(row) for row in await self._rows(query)]


class SqlLegalAcceptances(Repository):
    async def add(self, acceptance: Acceptance) -> None:
        row = row_of(legal_acceptances, acceptance)
        row["kind"], row["how"] = str(acceptance.kind), str(acceptance.how)
        await self._db.execute(insert(legal_acceptances).values(row))

    async def latest_versions(self, user_id: UUID) -> dict[DocumentKind, int]:
        c = legal_acceptances.c
        query = (
            select(c.kind, func.max(c.version).label("version"))
            .where(c.user_id == user_id)
            .group_by(c.kind)
        )
        return {DocumentKind(row["kind"]): int(row["version"]) for row in await self._rows(query)}

    async def of_user(self, user_id: UUID) -> list[Acceptance]:
        c = legal_acceptances.c
        query = (
            select(legal_acceptances)
            .where(c.user_id == user_id)
            .order_by(c.accepted_at, c.kind, c.version)
        )
        return [_acceptance(row) for row in await self._rows(query)]

    async def accepted_before(
        self, user_id: UUID, *, before: datetime, limit: int
    ) -> list[Acceptance]:
        c = legal_acceptances.c
        query = (
            select(legal_acceptances)
            .where(c.user_id == user_id, c.accepted_at <= before)
            .order_by(c.accepted_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_acceptance(row) for row in await self._rows(query)]

    async def counts(self) -> dict[tuple[DocumentKind, int], int]:
        c = legal_acceptances.c
        query = select(c.kind, c.version, func.count(func.distinct(c.user_id)).label("n")).group_by(
            c.kind, c.version
        )
        return {
            (DocumentKind(row["kind"]), int(row["version"])): int(row["n"])
            for row in await self._rows(query)
        }


class CompliancePart(Part):
    """The terms and privacy feature's share of the unit of work."""

    legal_documents: LegalDocumentRepository
    legal_acceptances: AcceptanceRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.legal_documents = SqlLegalDocuments(connection)
        self.legal_acceptances = SqlLegalAcceptances(connection)
        super().attach(connection)
