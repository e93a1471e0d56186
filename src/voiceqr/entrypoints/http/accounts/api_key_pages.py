"""API keys on the web: the security page's section, create, rotate and revoke.

The security page includes `accounts/security_api_keys.html`; `api_keys_section`
gives it the list. A new or rotated key is shown once, on a page that is not cached; a form with
a mistake comes back on the standalone API keys page with the error.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from voiceqr.application.accounts.api_keys import ApiKeys, NewApiKey
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.http.accounts.api_keys_api import api_key_out
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status

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


async def api_keys_section(platform: Platform, user: User) -> dict[str, Any]:
    """What `security_api_keys.html` shows: the user's keys and the scopes they may pick."""
    keys = platform.accounts.api_keys
    views = []
    for key in await keys.list(user):
        out = api_key_out(keys, key)
        views.append(
            {
                "id": str(out.id),
                "name": out.name,
                "prefix": out.prefix,
                "scopes": ", ".join(out.scopes),
                "created": out.created_at,
                "last_used": out.last_used_at,
                "revoked": out.revoked_at,
                "grace_ends": out.rotation_grace_ends_at,
            }
        )
    return {
        "api_keys": views,
        "api_key_scopes": _scope_choices(user),
        "api_key_grace_hours": platform.settings.auth.api_key_rotation_grace_hours,
    }


def _shown(user: User, keys: ApiKeys, issued: NewApiKey, *, rotated: bool) -> Template:
    out = api_key_out(keys, issued.key)
    return page(
        "accounts/api_key_shown.html",
        user=user,
        token=issued.token,
        name=out.name,
        scopes=", ".join(out.scopes),
        rotated=rotated,
        grace_ends=out.rotation_grace_ends_at,
    )


@get("/security/api-keys")
async def api_keys_page(
    user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    return page("accounts/api_keys.html", user=user, **await api_keys_section(platform, user))


@post("/security/api-keys", status_code=200)
async def api_key_create_submit(
    data: Form, user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    name = data.get("name", "")
    scopes = [str(scope) for scope in Scope if data.get(f"scope_{scope}") == "on"]
    try:
        issued = await platform.accounts.api_keys.create(user, name, scopes)
    except DomainError as exc:
        return page(
            "accounts/api_keys.html",
            refusal_status(exc, (ErrorCategory.VALIDATION, ErrorCategory.PERMISSION)),
            user=user,
            **await api_keys_section(platform, user),
            api_key_error=exc.message,
            api_key_name=name,
            api_key_checked=scopes,
        )
    return _shown(user, platform.accounts.api_keys, issued, rotated=False)


@post(
    "/security/api-keys/{key_id:uuid}/rotate",
    status_code=200,
)
async def api_key_rotate_submit(
    key_id: FromPath[UUID], user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Template:
    issued = await platform.accounts.api_keys.rotate(user, key_id)
    return _shown(user, platform.accounts.api_keys, issued, rotated=True)


@post(
    "/security/api-keys/{key_id:uuid}/revoke",
    status_code=303,
)
async def api_key_revoke_submit(
    key_id: FromPath[UUID], user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Redirect:
    await platform.accounts.api_keys.revoke(user, key_id)
    return Redirect("/security#api-keys", status_code=303)
