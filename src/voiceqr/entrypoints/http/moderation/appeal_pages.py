"""A banned owner's appeal: they cannot sign in, so the mail that told them of the ban
links here, with a token signed for that decision (no account needed, once)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

_EXPLAINED = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)


def _context(token: str, **extra: object) -> dict[str, Any]:
    return {"appeal_action": f"/appeal/{token}", **extra}


@get("/appeal/{token:str}")
async def appeal_page(
    token: FromPath[str], platform: NamedDependency[Platform], appealed: FromQuery[bool] = False
) -> Template:
    notice = await platform.moderation.notices.for_link(token)
    return page("moderation/appeal.html", moderation=notice, appealed=appealed, **_context(token))


@post("/appeal/{token:str}", status_code=303)
async def appeal_by_link(
    token: FromPath[str], data: Form, platform: NamedDependency[Platform]
) -> Response[Any]:
    message = data.get("message", "")
    try:
        await platform.moderation.notices.appeal_by_link(token, message)
    except DomainError as exc:
        if exc.category not in _EXPLAINED:
            raise
        notice = await platform.moderation.notices.for_link(token)
        context = _context(token, appeal_error=exc.message, appeal_text=message)
        return page(
            "moderation/appeal.html", refusal_status(exc, _EXPLAINED), moderation=notice, **context
        )
    return Redirect(f"/appeal/{token}?appealed=1", status_code=303)
