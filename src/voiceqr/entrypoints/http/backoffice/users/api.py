"""People in the JSON API for staff: the user list, one user, and the staff actions on
an account. Support reads and acts; only admins change roles or touch staff accounts;
API keys need the admin scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from voiceqr.application.accounts.staff import MAX_USER_PAGE
from voiceqr.application.accounts.timeline import MAX_TIMELINE_PAGE
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.staff_changes import MAX_REASON_LENGTH
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import Permission, require
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.http.backoffice.users.actions import (
    INCIDENT_DONE,
    run_action,
    run_incident_tool,
)
from voiceqr.entrypoints.http.backoffice.users.views import UserOut, user_out, user_query
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, client_address
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, one_line


class UserPageOut(msgspec.Struct):
    items: list[UserOut]
    next_cursor: str | None  # pass as ?cursor= (same filters and sort) for the next page


class LoginOut(msgspec.Struct):
    occurred_at: datetime
    success: bool
    method: str
    reason: str  # why a failure failed: bad_credentials, locked, disabled...
    ip: str
    device: str
    country: str


class SessionOut(msgspec.Struct):
    id: UUID | None
    created_at: datetime
    last_seen_at: datetime
    device: str
    browser: str
    country: str


class ApiKeyOut(msgspec.Struct):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class StaffActionOut(msgspec.Struct):
    occurred_at: datetime
    actor: str  # the staff member's email then, or "cli"
    action: str
    reason: str
    details: dict[str, object]


class UserDetailOut(msgspec.Struct):
    user: UserOut
    login_history: list[LoginOut]  # newest first, the last 50
    sessions: list[SessionOut]  # active ones
    api_keys: list[ApiKeyOut]
    staff_actions: list[StaffActionOut]  # newest first, the last 50


class TimelineEntryOut(msgspec.Struct):
    at: datetime
    kind: str  # sign_in, session, generation, api_key, mail, staff
    what: str
    detail: str
    ok: bool  # false for a failure: a refused sign-in, a failed generation or mail


class TimelinePageOut(msgspec.Struct):
    kinds: list[str]  # every kind there is, for ?kind=
    items: list[TimelineEntryOut]
    next_cursor: str | None  # pass as ?cursor= (same kinds) for older entries


class UserActionIn(Body):
    """What an action takes: always a reason; `minutes` for lock, `role` for role,
    `name` and/or `email` for edit."""

    reason: Annotated[str, one_line(MAX_REASON_LENGTH)]
    minutes: int | None = None
    role: str | None = None
    name: Annotated[str, one_line(200)] | None = None
    email: Annotated[str, one_line(254)] | None = None


class NewUserIn(Body):
    """An account to create: the owner chooses the password from the welcome mail."""

    email: Annotated[str, one_line(254)]
    reason: Annotated[str, one_line(MAX_REASON_LENGTH)]
    name: Annotated[str, one_line(200)] = ""
    role: str = "user"  # any other role: admins only
    verified: bool = True  # false: a verification mail is sent too


class IncidentIn(Body):
    reason: Annotated[str, one_line(MAX_REASON_LENGTH)]
    confirm: bool  # true: yes, every account (the count is in GET /admin/users/incident)


class IncidentOut(msgspec.Struct):
    done: str
    accounts: int


class IncidentCountOut(msgspec.Struct):
    accounts: int  # how many accounts an incident tool acts on


class UserActionOut(msgspec.Struct):
    done: str  # what happened, in words
    user: UserOut


class AdminUsersController(Controller):
    path = "/admin/users"
    tags = ["admin"]
    opt = api_key_scopes(GET=Scope.ADMIN, POST=Scope.ADMIN)

    @get("/", cache_control=NO_STORE_REPLY, responses=problems(400))
    async def list_users(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        q: FromQuery[str] = "",
        role: FromQuery[str] = "",
        verified: FromQuery[str] = "",
        locked: FromQuery[str] = "",
        disabled: FromQuery[str] = "",
        signed_up_from: FromQuery[str] = "",
        signed_up_to: FromQuery[str] = "",
        sort: FromQuery[str] = "newest",
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_USER_PAGE)] = 50,
    ) -> UserPageOut:
        """Accounts whose email or name starts with `q` (any case), filtered (role;
        verified, locked, disabled: yes or no; signed up between two dates, both
        included), in an order (newest, oldest, email, name), a page at a time."""
        query = user_query(
            q=q,
            role=role,
            verified=verified,
            locked=locked,
            disabled=disabled,
            signed_up_from=signed_up_from,
            signed_up_to=signed_up_to,
            sort=sort,
            limit=limit,
        )
        page = await platform.accounts.staff.search(staff, query, cursor=cursor)
        now = platform.accounts.accounts.now()
        return UserPageOut([user_out(u, now) for u in page.items], page.next_cursor)

    @get("/{user_id:uuid}", cache_control=NO_STORE_REPLY, responses=problems(404))
    async def show_user(
        self,
        user_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> UserDetailOut:
        """One account: profile, role and status, login history, sessions, API keys
        and the staff actions on it."""
        profile = await platform.accounts.staff.profile(staff, user_id)
        return UserDetailOut(
            user=user_out(profile.user, platform.accounts.accounts.now()),
            login_history=[
                LoginOut(e.occurred_at, e.success, e.method, e.reason, e.ip, e.device, e.country)
                for e in profile.login_history
            ],
            sessions=[
                SessionOut(s.id, s.created_at, s.last_seen_at, s.device, s.browser, s.country)
                for s in profile.sessions
            ],
            api_keys=[
                ApiKeyOut(k.id, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at)
                for k in profile.api_keys
            ],
            staff_actions=[
                StaffActionOut(
                    a.occurred_at, a.actor, a.action, str(a.details.get("reason", "")), a.details
                )
                for a in profile.staff_actions
            ],
        )

    @post("/", responses=problems(400, 403, 409))
    async def create_user(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[NewUserIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> UserOut:
        """Create an account (201) with no password: the welcome mail carries a link to
        choose one, valid 7 days; 409 when the email has an account."""
        try:
            role = Role(data.role)
        except ValueError:
            raise ValidationError(
                f"Pick a role: {', '.join(r.value for r in Role)}.", code="unknown_role"
            ) from None
        user = await platform.accounts.staff.create(
            staff,
            email=data.email,
            name=data.name,
            reason=data.reason,
            role=role,
            verified=data.verified,
            ip=client_address(request, platform),
        )
        return user_out(user, platform.accounts.accounts.now())

    @get("/incident", cache_control=NO_STORE_REPLY)
    async def incident_count(
        self, platform: NamedDependency[Platform], staff: NamedDependency[User]
    ) -> IncidentCountOut:
        """How many accounts the incident tools act on (admins only)."""
        require(staff, Permission.CHANGE_ROLES)
        return IncidentCountOut(await platform.accounts.staff.count_accounts(staff))

    @post("/incident/{tool:str}", status_code=HTTP_200_OK, responses=problems(400, 403, 404))
    async def incident(
        self,
        request: Request[Any, Any, Any],
        tool: FromPath[str],
        data: JSONBody[IncidentIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> IncidentOut:
        """An incident tool on every account (admins only, `confirm` true): end-sessions
        signs everyone out; force-password-change stops every password and mails each
        account a link to choose a new one."""
        if not data.confirm:
            raise ValidationError("Confirm: this acts on every account.", code="not_confirmed")
        count = await run_incident_tool(
            platform.accounts.staff, staff, tool, data.reason, client_address(request, platform)
        )
        return IncidentOut(INCIDENT_DONE[tool], count)

    @get("/{user_id:uuid}/timeline", cache_control=NO_STORE_REPLY, responses=problems(400, 404))
    async def timeline(
        self,
        user_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        kind: FromQuery[list[str] | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_TIMELINE_PAGE)] = 50,
    ) -> TimelinePageOut:
        """What happened on the account, newest first: sign-ins and refusals, sessions,
        generations and their failures, API key use, mail sent, and staff actions (who,
        what, why). `kind` (repeatable) keeps only those kinds."""
        page = await platform.accounts.timeline.page(
            staff, user_id, kinds=kind or (), cursor=cursor, limit=limit
        )
        return TimelinePageOut(
            page.kinds,
            [TimelineEntryOut(e.at, e.kind, e.what, e.detail, e.ok) for e in page.items],
            page.next_cursor,
        )

    @post(
        "/{user_id:uuid}/actions/{action:str}",
        status_code=HTTP_200_OK,
        responses=problems(400, 403, 404, 409),
    )
    async def act(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[UUID],
        action: FromPath[str],
        data: JSONBody[UserActionIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> UserActionOut:
        """A staff action on the account, with its reason (written to the audit log):
        lock (`minutes`), unlock, disable, enable, verify, edit (`name`, `email`),
        role (`role`, admins only), password-reset-link, force-password-change,
        end-sessions, revoke-api-keys."""
        fields = {
            k: str(v)
            for k, v in msgspec.structs.asdict(data).items()
            if v is not None and not isinstance(v, msgspec.UnsetType)
        }
        done = await run_action(
            platform.accounts.staff,
            staff,
            user_id,
            action,
            fields,
            client_address(request, platform),
        )
        profile = await platform.accounts.staff.profile(staff, user_id)
        return UserActionOut(done.done, user_out(profile.user, platform.accounts.accounts.now()))
