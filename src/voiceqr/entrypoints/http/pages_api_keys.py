"""API keys on the web (P5, P6): the security page's section, create, rotate and revoke.

The security page includes `security_api_keys.html`; `SECURITY_CONTEXT` gives it the
list. A new or rotated key is shown once, on a page that is not cached; a form with
a mistake comes back on the standalone API keys page with the error.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voiceqr.application.accounts.api_keys import ApiKeys, NewApiKey
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.api_keys import api_key_out
from voiceqr.entrypoints.http.auth import current_user
from voiceqr.entrypoints.http.pages import NO_STORE, Form
from voiceqr.entrypoints.http.pages_accounts import SECURITY_CONTEXT, _when
from voiceqr.entrypoints.http.problems import STATUS_BY_CATEGORY

SIGNED_IN = {"user": Provide(current_user)}
SCOPE_LABELS = {
    Scope.READ: "Read: list voices and your generations, download QR codes",
    Scope.GENERATE: "Generate: make new spoken QR codes",
    Scope.ADMIN: "Admin: manage the voice gallery (administrators only)",
}


def _scope_choices(user: User) -> list[dict[str, str]]:
    return [
        {"value": str(scope), "label": label}
        for scope, label in SCOPE_LABELS.items()
        if scope is not Scope.ADMIN or user.is_admin
    ]


async def _section(platform: Platform, user: User) -> dict[str, Any]:
    """What `security_api_keys.html` shows: the user's keys and the scopes they may pick."""
    keys = platform.api_keys
    views = []
    for key in await keys.list(user):
        out = api_key_out(keys, key)
        views.append(
            {
                "id": str(out.id),
                "name": out.name,
                "prefix": out.prefix,
                "scopes": ", ".join(out.scopes),
                "created": _when(out.created_at),
                "last_used": _when(out.last_used_at),
                "revoked": _when(out.revoked_at),
                "grace_ends": _when(out.rotation_grace_ends_at),
            }
        )
    return {
        "api_keys": views,
        "api_key_scopes": _scope_choices(user),
        "api_key_grace_hours": platform.settings.auth.api_key_rotation_grace_hours,
    }


async def _security_context(platform: Platform, user: User, _session: Session) -> dict[str, Any]:
    return await _section(platform, user)


SECURITY_CONTEXT.append(_security_context)


def _shown(user: User, keys: ApiKeys, issued: NewApiKey, *, rotated: bool) -> Template:
    out = api_key_out(keys, issued.key)
    return Template(
        "api_key_shown.html",
        context={
            "user": user,
            "token": issued.token,
            "name": out.name,
            "scopes": ", ".join(out.scopes),
            "rotated": rotated,
            "grace_ends": _when(out.rotation_grace_ends_at),
        },
        headers=NO_STORE,
    )


@get("/security/api-keys", include_in_schema=False, dependencies=SIGNED_IN)
async def api_keys_page(
    user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    return Template(
        "api_keys.html",
        context={"user": user, **await _section(platform, user)},
        headers=NO_STORE,
    )


@post("/security/api-keys", include_in_schema=False, status_code=200, dependencies=SIGNED_IN)
async def api_key_create_submit(
    data: Form, user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    name = data.get("name", "")
    scopes = [str(scope) for scope in Scope if data.get(f"scope_{scope}") == "on"]
    try:
        issued = await platform.api_keys.create(user, name, scopes)
    except DomainError as exc:
        if exc.category not in (ErrorCategory.VALIDATION, ErrorCategory.PERMISSION):
            raise
        return Template(
            "api_keys.html",
            context={
                "user": user,
                **await _section(platform, user),
                "api_key_error": exc.message,
                "api_key_name": name,
                "api_key_checked": scopes,
            },
            status_code=STATUS_BY_CATEGORY[exc.category],
            headers=NO_STORE,
        )
    return _shown(user, platform.api_keys, issued, rotated=False)


@post(
    "/security/api-keys/{key_id:uuid}/rotate",
    include_in_schema=False,
    status_code=200,
    dependencies=SIGNED_IN,
)
async def api_key_rotate_submit(
    key_id: FromPath[UUID], user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    issued = await platform.api_keys.rotate(user, key_id)
    return _shown(user, platform.api_keys, issued, rotated=True)


@post(
    "/security/api-keys/{key_id:uuid}/revoke",
    include_in_schema=False,
    status_code=303,
    dependencies=SIGNED_IN,
)
async def api_key_revoke_submit(
    key_id: FromPath[UUID], user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Redirect:
    await platform.api_keys.revoke(user, key_id)
    return Redirect("/security#api-keys", status_code=303)


API_KEY_PAGES = [
    api_keys_page,
    api_key_create_submit,
    api_key_rotate_submit,
    api_key_revoke_submit,
]
