"""The terms and privacy policy pages: `/terms` and `/privacy` (the version in force,
what changed, the next version announced), `/terms/versions/N` for any version in force
once, and `/legal/accept`, where a signed-in user accepts a material new version before
anything else (or signs out)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.compliance.documents import DocumentKind
from voiceqr.domain.shared.errors import Conflict, ValidationError
from voiceqr.entrypoints.http.compliance.views import rendered
from voiceqr.entrypoints.http.kit.auth import BEFORE_ACCEPTING, session_user
from voiceqr.entrypoints.http.kit.forms import Form, page, safe_next


async def _document_page(
    request: Request[Any, Any, Any], platform: Platform, kind: DocumentKind, version: int | None
) -> Template:
    shown = await platform.compliance.documents.public(kind, version)
    return page(
        "compliance/document.html",
        user=await session_user(request, platform),
        kind=kind,
        shown=shown,
        document=shown.shown,
        html=None if shown.shown is None else rendered(shown.shown.text),
        older=[d for d in shown.versions if shown.live and d.version < shown.live.version],
    )


def _document_pages(kind: DocumentKind) -> tuple[Any, Any]:
    """The page of the version in force, and the page of version N."""

    @get(f"/{kind}", name=f"{kind}_page")
    async def live(
        request: Request[Any, Any, Any], platform: NamedDependency[Platform]
    ) -> Template:
        return await _document_page(request, platform, kind, None)

    @get(f"/{kind}/versions/{{version:int}}", name=f"{kind}_version_page")
    async def version(
        request: Request[Any, Any, Any], version: FromPath[int], platform: NamedDependency[Platform]
    ) -> Template:
        return await _document_page(request, platform, kind, version)

    return live, version


terms_page, terms_version_page = _document_pages(DocumentKind.TERMS)
privacy_page, privacy_version_page = _document_pages(DocumentKind.PRIVACY)


async def _accept_page(
    platform: Platform, user: User, target: str, *, status: int = 200, error: str | None = None
) -> Response[Any]:
    asked = await platform.compliance.acceptances.request(user.id)
    if not asked.documents:
        return Redirect(target, status_code=303)
    return page(
        "compliance/accept.html",
        status,
        user=None,  # no menu: every other page leads back here until accepted
        signed_in_as=user.email,
        documents=asked.documents,
        last_accepted=asked.last_accepted,
        next=target,
        error=error,
    )


@get("/legal/accept", opt={BEFORE_ACCEPTING: True})
async def accept_page(
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
    next: FromQuery[str] = "",
) -> Response[Any]:
    return await _accept_page(platform, user, safe_next(next))


@post("/legal/accept", opt={BEFORE_ACCEPTING: True}, status_code=303)
async def accept_submit(
    data: Form, user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Response[Any]:
    """Accept the versions the page showed (their numbers come back with the form)."""
    target = safe_next(data.get("next"))
    try:
        versions = {kind: int(data[str(kind)]) for kind in DocumentKind if data.get(str(kind), "")}
    except ValueError:
        raise ValidationError("The form names no version; reload the page.") from None
    try:
        await platform.compliance.acceptances.accept(user.id, versions)
    except Conflict as exc:
        return await _accept_page(platform, user, target, status=409, error=exc.message)
    return await _accept_page(platform, user, target)
