"""Publishing the terms and the privacy policy, and reading them: the live version of
each kind, the one scheduled next, any older one, and (for admins) the acceptances
each version has.

Reading the live versions happens on every signed-in page (see `acceptances`), so the
versions are kept in this process for a short while; a publication here forgets them
at once, one in another process (the CLI) is seen within `CACHE_SECONDS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from voiceqr.application.compliance.ports import ComplianceUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.compliance.documents import (
    DocumentKind,
    LegalDocument,
    live_version,
    publish,
    scheduled_version,
)
from voiceqr.domain.shared.errors import Conflict, NotFound
from voiceqr.domain.support.tickets import check_reason

CACHE_SECONDS = 30.0
SEEDED_BY = "voiceqr (default text)"


@dataclass(frozen=True, slots=True)
class PublicDocument:
    """What `/terms` and `/privacy` show: the version asked for (the live one unless
    an older was named), and the version scheduled next, if any."""

    kind: DocumentKind
    shown: LegalDocument | None  # None: nothing is in force yet
    live: LegalDocument | None
    scheduled: LegalDocument | None
    versions: list[LegalDocument]  # every version published, oldest first


@dataclass(frozen=True, slots=True)
class VersionRow:
    document: LegalDocument
    acceptances: int
    live: bool
    scheduled: bool


@dataclass(slots=True, kw_only=True)
class LegalDocuments:
    uow: Callable[[], ComplianceUnitOfWork]
    clock: Callable[[], datetime]
    monotonic: Callable[[], float] = time.monotonic
    _cached: tuple[float, list[LegalDocument]] | None = field(default=None, init=False)

    def today(self) -> date:
        return self.clock().date()

    async def every_version(self) -> list[LegalDocument]:
        """Every published version (kept here for `CACHE_SECONDS`)."""
        cached = self._cached
        if cached is not None and self.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        async with self.uow() as uow:
            found = await uow.legal_documents.all()
        self._cached = (self.monotonic(), found)
        return found

    def forget(self) -> None:
        self._cached = None

    async def public(self, kind: DocumentKind, version: int | None = None) -> PublicDocument:
        """The live version of `kind`, or version `version` (an earlier one, or one
        scheduled: users may read a change before it takes effect); NotFound if no such
        version is published."""
        today = self.today()
        versions = [d for d in await self.every_version() if d.kind is kind]
        live = live_version(versions, today)
        shown = live
        if version is not None:
            shown = next((d for d in versions if d.version == version), None)
            if shown is None:
                raise NotFound(
                    f"There is no version {version} of the {kind.label.lower()}.",
                    code="document_version_not_found",
                )
        return PublicDocument(kind, shown, live, scheduled_version(versions, today), versions)

    async def live(self) -> dict[DocumentKind, LegalDocument]:
        """The version of each kind in force today (a kind with none is absent)."""
        every = await self.every_version()
        today = self.today()
        found = {k: live_version([d for d in every if d.kind is k], today) for k in DocumentKind}
        return {k: d for k, d in found.items() if d is not None}

    async def overview(self, actor: Actor) -> dict[DocumentKind, list[VersionRow]]:
        """Every version of each kind, newest first, with how many accepted it (admins)."""
        require(actor, Permission.PUBLISH_LEGAL)
        async with self.uow() as uow:
            every = await uow.legal_documents.all()
            counts = await uow.legal_acceptances.counts()
        today = self.today()
        rows: dict[DocumentKind, list[VersionRow]] = {}
        for kind in DocumentKind:
            versions = [d for d in every if d.kind is kind]
            live, ahead = live_version(versions, today), scheduled_version(versions, today)
            rows[kind] = [
                VersionRow(d, counts.get((kind, d.version), 0), d is live, d is ahead)
                for d in reversed(versions)
            ]
        return rows

    async def check(
        self,
        actor: Actor,
        kind: DocumentKind,
        *,
        text: str,
        summary: str,
        effective_on: date,
        material: bool,
        reason: str,
    ) -> LegalDocument:
        """The version `publish` would make, checked and not stored (the preview)."""
        require(actor, Permission.PUBLISH_LEGAL)
        check_reason(reason)
        async with self.uow() as uow:
            earlier = await uow.legal_documents.versions(kind)
        return self._next(actor, kind, earlier, text, summary, effective_on, material)

    async def publish(
        self,
        actor: Actor,
        kind: DocumentKind,
        *,
        text: str,
        summary: str,
        effective_on: date,
        material: bool,
        reason: str,
        ip: str = "",
    ) -> LegalDocument:
        """Publish the next version of `kind`; audited with the reason, in one transaction."""
        require(actor, Permission.PUBLISH_LEGAL)
        reason = check_reason(reason)
        async with self.uow() as uow:
            earlier = await uow.legal_documents.versions(kind)
            document = self._next(actor, kind, earlier, text, summary, effective_on, material)
            await uow.legal_documents.add(document)
            await record(
                uow,
                actor,
                "legal.publish",
                target=("legal_document", document.id),
                now=document.published_at,
                ip=ip,
                details={
                    "kind": str(kind),
                    "version": document.version,
                    "effective_on": document.effective_on.isoformat(),
                    "material": document.material,
                    "sha256": document.sha256,
                    "reason": reason,
                },
            )
            await uow.commit()
        self.forget()
        return document

    async def seed(self, texts: dict[DocumentKind, str]) -> list[LegalDocument]:
        """A first version of each kind that has none yet, in force today and not
        material (nobody is stopped by it), so a new installation has terms to link to."""
        added = []
        async with self.uow() as uow:
            for kind, text in texts.items():
                if await uow.legal_documents.versions(kind):
                    continue
                now = self.clock()
                document = publish(
                    kind,
                    text=text,
                    summary="",
                    effective_on=now.date(),
                    material=False,
                    earlier=[],
                    today=now.date(),
                    now=now,
                    published_by=SEEDED_BY,
                )
                try:
                    await uow.legal_documents.add(document)
                except Conflict:
                    continue  # another process seeded it a moment ago
                added.append(document)
            await uow.commit()
        self.forget()
        return added

    def _next(
        self,
        actor: Actor,
        kind: DocumentKind,
        earlier: list[LegalDocument],
        text: str,
        summary: str,
        effective_on: date,
        material: bool,
    ) -> LegalDocument:
        now = self.clock()
        return publish(
            kind,
            text=text,
            summary=summary,
            effective_on=effective_on,
            material=material,
            earlier=earlier,
            today=now.date(),
            now=now,
            published_by=actor.actor_label,
            published_by_id=actor.id,
        )
