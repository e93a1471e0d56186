"""People in the backoffice's pages: the user list (search, filters, sort, pages of
50; cards on a phone, the filters folded away) and a user's page with the staff
actions, each a small form with its required reason.

The same use cases as the JSON API (`api.py`) and the CLI, with the client's address
for the audit log. A refused action shows the user's page again with the reason and
a 4xx status; a done one comes back to it with a notice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from voiceqr.application.accounts.ports import UserSort
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import Permission, can, require
from voiceqr.domain.shared.errors import (
    Conflict,
    DomainError,
    ErrorCategory,
    ValidationError,
)
from voiceqr.entrypoints.http.backoffice.users.actions import (
    ACTIONS,
    INCIDENT_DONE,
    run_action,
    run_incident_tool,
)
from voiceqr.entrypoints.http.backoffice.users.views import user_query
from voiceqr.entrypoints.http.kit.auth import client_address, signed_in
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status
from voiceqr.entrypoints.http.kit.problems import status_of

CREATED = "Created. The welcome mail carries a link to choose a password (7 days)."
FILTERS = ("q", "role", "verified", "locked", "disabled", "signed_up_from", "signed_up_to", "sort")
# Refusals shown on the user's page next to the forms; anything else is the error page.
_SHOWN_ON_PAGE = (ErrorCategory.VALIDATION, ErrorCategory.CONFLICT, ErrorCategory.PERMISSION)


@get("/admin/users")
async def admin_users(
    request: Request[Any, Any, Any],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    cursor: FromQuery[str | None] = None,
) -> Template:
    """The user list: a search box, filters in a fold, and a page of accounts."""
    filters = {name: str(request.query_params.get(name, "")) for name in FILTERS}
    users: list[User] = []
    error, status, older = None, 200, None
    try:
        query = user_query(limit=50, **filters)
        found = await platform.accounts.staff.search(staff, query, cursor=cursor)
        users = found.items
        if found.next_cursor:
            kept = {k: v for k, v in filters.items() if v}
            older = "/admin/users?" + urlencode({**kept, "cursor": found.next_cursor})
    except ValidationError as exc:
        error, status = exc.message, 400
    kept = {k: v for k, v in filters.items() if v}
    return page(
        "backoffice/users/list.html",
        status,
        user=staff,
        users=users,
        now=platform.accounts.accounts.now(),
        filters=filters,
        filtered=any(filters[name] for name in FILTERS if name not in ("q", "sort")),
        roles=[str(r) for r in Role],
        sorts=[str(s) for s in UserSort],
        newest=("/admin/users?" + urlencode(kept)) if cursor else None,
        older=older,
        error=error,
    )


async def _user_page(
    platform: Platform,
    staff: User,
    user_id: UUID,
    *,
    notice: str | None = None,
    error: str | None = None,
    fields: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    profile = await platform.accounts.staff.profile(staff, user_id)
    return page(
        "backoffice/users/user.html",
        status,
        user=staff,
        person=profile.user,
        profile=profile,
        now=platform.accounts.accounts.now(),
        roles=[str(r) for r in Role],
        may_change_roles=can(staff, Permission.CHANGE_ROLES),
        may_view_as=can(staff, Permission.VIEW_AS_USER)
        and profile.user.role is Role.USER
        and profile.user.id != staff.id,
        view_as_minutes=platform.accounts.view_as.length // timedelta(minutes=1),
        fields=fields or {},
        notice=notice,
        error=error,
    )


def _new_user_page(
    staff: User, *, fields: dict[str, str], error: str | None = None, status: int = 200
) -> Template:
    return page(
        "backoffice/users/new.html",
        status,
        user=staff,
        roles=[str(r) for r in Role] if can(staff, Permission.CHANGE_ROLES) else ["user"],
        fields=fields,
        error=error,
    )


@get("/admin/users/new")
async def admin_new_user(staff: NamedDependency[User]) -> Template:
    """The form to create an account; the owner chooses the password from a mail."""
    return _new_user_page(staff, fields={"verified": "yes", "role": "user"})


@post("/admin/users/new", status_code=303)
async def admin_create_user(
    request: Request[Any, Any, Any],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    fields = {k: v for k, v in data.items() if k != "_csrf_token"}
    try:
        role = Role(fields.get("role") or "user")
    except ValueError:
        return _new_user_page(staff, fields=fields, error="Pick a role from the list.", status=422)
    try:
        created = await platform.accounts.staff.create(
            staff,
            email=fields.get("email", ""),
            name=fields.get("name", ""),
            reason=fields.get("reason", ""),
            role=role,
            verified=fields.get("verified") == "yes",
            ip=client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return _new_user_page(staff, fields=fields, error=exc.message, status=status)
    return Redirect(f"/admin/users/{created.id}?done=created", status_code=303)


@get("/admin/users/{user_id:uuid}")
async def admin_user(
    user_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    done: FromQuery[str] = "",
) -> Template:
    """One account: profile, role and status, login history, sessions, API keys, the
    staff actions on it and the forms to act."""
    action = ACTIONS.get(done)
    notice = CREATED if done == "created" else None if action is None else action.done
    return await _user_page(platform, staff, user_id, notice=notice)


@post("/admin/users/{user_id:uuid}/actions/{action:str}", status_code=303)
async def admin_user_action(
    request: Request[Any, Any, Any],
    user_id: FromPath[UUID],
    action: FromPath[str],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """A staff action's form: back to the user's page with a notice, or the page again
    with the reason it was refused and what was typed."""
    fields = {k: v for k, v in data.items() if k != "_csrf_token"}
    try:
        await run_action(
            platform.accounts.staff,
            staff,
            user_id,
            action,
            fields,
            client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _user_page(
            platform,
            staff,
            user_id,
            error=exc.message,
            fields={**fields, "action": action},
            status=status,
        )
    return Redirect(f"/admin/users/{user_id}?done={action}", status_code=303)


@post("/admin/users/{user_id:uuid}/view-as", status_code=303)
async def admin_view_as(
    request: Request[Any, Any, Any],
    user_id: FromPath[UUID],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    """Start viewing the site as the user, read-only: their History is the first page."""
    fields = {k: v for k, v in data.items() if k != "_csrf_token"}
    session = signed_in(request)  # resolved by the staff guard; pages have no API keys
    if session is None:
        raise NotAuthorizedException("Sign in first.")
    try:
        await platform.accounts.view_as.start(
            staff,
            session.session,
            user_id,
            reason=fields.get("reason", ""),
            ip=client_address(request, platform),
        )
    except DomainError as exc:
        status = refusal_status(exc, _SHOWN_ON_PAGE)
        return await _user_page(
            platform,
            staff,
            user_id,
            error=exc.message,
            fields={**fields, "action": "view-as"},
            status=status,
        )
    return Redirect("/generations", status_code=303)


@get("/admin/users/{user_id:uuid}/timeline")
async def admin_user_timeline(
    request: Request[Any, Any, Any],
    user_id: FromPath[UUID],
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
    cursor: FromQuery[str | None] = None,
) -> Template:
    """What happened on the account, newest first, filtered by kind (ticked boxes)."""
    kinds = [str(k) for k in request.query_params.getall("kind", [])]
    timeline = platform.accounts.timeline
    error, status, entries, older = None, 200, [], None
    try:
        found = await timeline.page(staff, user_id, kinds=kinds, cursor=cursor)
        entries = found.items
        if found.next_cursor:
            older = _timeline_url(user_id, kinds, cursor=found.next_cursor)
    except ValidationError as exc:
        error, status = exc.message, 400
    profile = await platform.accounts.staff.profile(staff, user_id)
    return page(
        "backoffice/users/timeline.html",
        status,
        user=staff,
        person=profile.user,
        entries=entries,
        kinds=timeline.kinds,
        chosen=kinds,
        newest=_timeline_url(user_id, kinds) if cursor else None,
        older=older,
        error=error,
    )


def _timeline_url(user_id: UUID, kinds: list[str], **extra: str) -> str:
    query = [("kind", k) for k in kinds] + list(extra.items())
    return f"/admin/users/{user_id}/timeline" + (f"?{urlencode(query)}" if query else "")


# --- incident tools: everyone at once (admins only) ----------------------------------


async def _incident_page(
    platform: Platform,
    staff: User,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    require(staff, Permission.CHANGE_ROLES)
    return page(
        "backoffice/users/incident.html",
        status,
        user=staff,
        accounts=await platform.accounts.staff.count_accounts(staff),
        notice=notice,
        error=error,
    )


@get("/admin/users/incident")
async def admin_incident(
    staff: NamedDependency[User], platform: NamedDependency[Platform], done: FromQuery[str] = ""
) -> Template:
    """The incident tools, each behind a confirmation that says how many accounts."""
    return await _incident_page(platform, staff, notice=INCIDENT_DONE.get(done))


@post("/admin/users/incident/{tool:str}", status_code=303)
async def admin_incident_tool(
    request: Request[Any, Any, Any],
    tool: FromPath[str],
    data: Form,
    staff: NamedDependency[User],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    staff_accounts, ip = platform.accounts.staff, client_address(request, platform)
    reason = data.get("reason", "")
    try:
        if data.get("confirm") != "yes":
            raise ValidationError("Tick the box to confirm: this touches every account.")
        await run_incident_tool(staff_accounts, staff, tool, reason, ip)
    except (ValidationError, Conflict) as exc:
        return await _incident_page(platform, staff, error=exc.message, status=status_of(exc))
    return Redirect(f"/admin/users/incident?done={tool}", status_code=303)
