"""`/admin/legal`: every version of the terms and the privacy policy with how many
users accepted it, and the form that publishes a new version: checked and shown as a
preview first (version number, effective date, hash, the text as users will read it),
then published with a reason for the audit log.

A refused form is shown again with the reason and what was typed, and a 4xx.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.compliance.documents import DocumentKind, document_kind, effective_date
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.compliance.views import rendered
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

NOTICES = {"published": "The new version is published."}
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)
_FIELDS = ("kind", "text", "summary", "effective_on", "reason")


def _typed(data: dict[str, str]) -> dict[str, Any]:
    typed: dict[str, Any] = {name: data.get(name, "") for name in _FIELDS}
    typed["material"] = data.get("material") == "on"
    return typed


async def _index(
    platform: Platform,
    staff: User,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    return page(
        "backoffice/legal/index.html",
        status,
        user=staff,
        versions=await platform.compliance.documents.overview(staff),
        kinds=list(DocumentKind),
        today=platform.compliance.documents.today().isoformat(),
        form=form or {"kind": "terms", "material": False},
        notice=notice,
        error=error,
    )


@get("/admin/legal")
async def admin_legal(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    return await _index(platform, staff, notice=NOTICES.get(done))


def _publication(data: dict[str, str]) -> dict[str, Any]:
    """The use case's arguments from the form; ValidationError for a kind or date it cannot read."""
    return {
        "kind": document_kind(data.get("kind", "")),
        "text": data.get("text", ""),
        "summary": data.get("summary", ""),
        "effective_on": effective_date(data.get("effective_on", "")),
        "material": data.get("material") == "on",
        "reason": data.get("reason", ""),
    }


@post("/admin/legal/preview")
async def admin_legal_preview(
    data: Form, staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    """The version as it would be published, and the button that publishes it."""
    try:
        document = await platform.compliance.documents.check(staff, **_publication(data))
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _index(platform, staff, status=status, error=exc.message, form=_typed(data))
    return page(
        "backoffice/legal/preview.html",
        user=staff,
        document=document,
        html=rendered(document.text),
        form=_typed(data),
    )


@post("/admin/legal/publish", status_code=303)
async def admin_legal_publish(
    request: Request[Any, Any, Any],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    try:
        await platform.compliance.documents.publish(
            staff, **_publication(data), ip=client_address(request, platform)
        )
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _index(platform, staff, status=status, error=exc.message, form=_typed(data))
    return Redirect("/admin/legal?done=published", status_code=303)
