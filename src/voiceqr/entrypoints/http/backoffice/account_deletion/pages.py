"""The confirmation page that deletes an account (admins only): it lists what goes and
asks for the account's email typed again and a reason."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

_TEMPLATE = "backoffice/account_deletion/confirm.html"


async def _confirm_page(
    platform: Platform,
    staff: User,
    user_id: UUID,
    *,
    error: str | None = None,
    email: str = "",
    reason: str = "",
    status_code: int = 200,
) -> Template:
    account, footprint = await platform.account_deletions.footprint(staff, user_id)
    return page(
        _TEMPLATE,
        status_code,
        user=staff,
        account=account,
        footprint=footprint,
        email=email,
        reason=reason,
        error=error,
    )


@get("/admin/users/{user_id:uuid}/delete")
async def admin_delete_account(
    user_id: FromPath[UUID], staff: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    """What deleting this account removes, and the form that does it."""
    return await _confirm_page(platform, staff, user_id)


@post("/admin/users/{user_id:uuid}/delete", status_code=303)
async def admin_delete_account_submit(
    request: Request[Any, Any, Any],
    user_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any] | Template:
    email, reason = data.get("email", ""), data.get("reason", "")
    try:
        await platform.account_deletions.delete_by_staff(
            staff,
            user_id,
            email_typed=email,
            reason=reason,
            ip=client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc)
        return await _confirm_page(
            platform,
            staff,
            user_id,
            error=exc.message,
            email=email,
            reason=reason,
            status_code=status,
        )
    return page("backoffice/account_deletion/deleting.html", 200, user=staff, user_id=user_id)
