"""The terms and privacy policy in the JSON API: /api/v1/legal/{kind} (the version in
force, with the next one announced) and /api/v1/legal/{kind}/versions. Public: they
are the texts anyone agrees to."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from voiceqr.bootstrap import Platform
from voiceqr.domain.compliance.documents import DocumentKind, document_kind
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.entrypoints.http.compliance.schemas import LegalDocumentOut, LegalVersionList
from voiceqr.entrypoints.http.compliance.views import document_out, version_out
from voiceqr.entrypoints.http.kit.openapi import problems


def kind_named(name: str) -> DocumentKind:
    """The kind a path names; another name is a page that does not exist (404)."""
    try:
        return document_kind(name)
    except ValidationError as exc:
        raise NotFound(exc.message, code="unknown_document") from None


class LegalController(Controller):
    path = "/legal"
    tags = ["legal"]

    @get("/{kind:str}", responses=problems(404))
    async def live_document(
        self, kind: FromPath[str], platform: NamedDependency[Platform]
    ) -> LegalDocumentOut:
        """The version in force today (Markdown text, summary of changes, effective
        date, sha256), and the next version if one is scheduled."""
        shown = await platform.compliance.documents.public(kind_named(kind))
        found = document_out(shown)
        if found is None:
            raise NotFound("Nothing is published yet.", code="document_not_published")
        return found

    @get("/{kind:str}/versions", responses=problems(404))
    async def versions(
        self, kind: FromPath[str], platform: NamedDependency[Platform]
    ) -> LegalVersionList:
        """Every published version, oldest first (scheduled ones included, marked)."""
        shown = await platform.compliance.documents.public(kind_named(kind))
        return LegalVersionList(items=[version_out(d, shown) for d in shown.versions])
