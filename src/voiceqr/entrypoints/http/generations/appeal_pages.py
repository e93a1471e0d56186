"""The owner's appeal against a moderation decision on their generation: one form on
the generation's page, once per decision."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.generations.views import generation_page_context
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

_EXPLAINED = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT)


@post("/generations/{generation_id:uuid}/appeal", status_code=303)
async def appeal_submit(
    request: Request[Any, Any, Any],
    generation_id: FromPath[UUID],
    data: Form,
    platform: NamedDependency[Platform],
    user: NamedDependency[User],
) -> Response[Any]:
    message = data.get("message", "")
    generation = await platform.generations.generations.get_for_owner(user, generation_id)
    try:
        await platform.moderation.notices.appeal(user, generation_id, message)
    except DomainError as exc:
        context = await generation_page_context(request, platform, user, generation)
        context.update(appeal_error=exc.message, appeal_text=message)
        return page("generations/generation.html", refusal_status(exc, _EXPLAINED), **context)
    return Redirect(f"/generations/{generation_id}?appealed=1", status_code=303)
