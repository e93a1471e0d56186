"""The staff actions on one account, by name: what the user's page posts and what
`POST /api/v1/admin/users/{id}/actions/{action}` runs, with the same fields.

Each action needs a `reason`; `lock` also takes `minutes`, `role` a `role`, `edit` a
`name` and/or an `email`. An unknown action is a 404; a field that is not right a 400.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from voiceqr.application.accounts.staff import StaffAccounts
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import NotFound, ValidationError

Fields = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Action:
    run: Callable[[StaffAccounts, User, UUID, str, Fields, str], Awaitable[object]]
    done: str  # what the page says once it is done


def _minutes(fields: Fields) -> int:
    try:
        minutes = int(fields.get("minutes", "") or "60")
    except ValueError:
        raise ValidationError(
            "Give the lock's length in whole minutes.", code="bad_minutes"
        ) from None
    return minutes


def _role(fields: Fields) -> Role:
    try:
        return Role(fields.get("role", ""))
    except ValueError:
        raise ValidationError(
            f"Pick a role: {', '.join(r.value for r in Role)}.", code="unknown_role"
        ) from None


def _optional(fields: Fields, name: str) -> str | None:
    value = fields.get(name)
    return value if value else None


async def _lock(s: StaffAccounts, a: User, uid: UUID, why: str, f: Fields, ip: str) -> object:
    until = s.clock() + timedelta(minutes=_minutes(f))
    return await s.lock(a, uid, until=until, reason=why, ip=ip)


ACTIONS: dict[str, Action] = {
    "lock": Action(_lock, "Locked: the account cannot sign in and its sessions ended."),
    "unlock": Action(lambda s, a, u, w, f, ip: s.unlock(a, u, reason=w, ip=ip), "Unlocked."),
    "disable": Action(
        lambda s, a, u, w, f, ip: s.set_status(a, u, UserStatus.DISABLED, reason=w, ip=ip),
        "Disabled: the account cannot sign in and its sessions ended.",
    ),
    "enable": Action(
        lambda s, a, u, w, f, ip: s.set_status(a, u, UserStatus.ACTIVE, reason=w, ip=ip),
        "Enabled again.",
    ),
    "verify": Action(
        lambda s, a, u, w, f, ip: s.verify_email(a, u, reason=w, ip=ip), "Email marked verified."
    ),
    "edit": Action(
        lambda s, a, u, w, f, ip: s.edit(
            a, u, reason=w, name=_optional(f, "name"), email=_optional(f, "email"), ip=ip
        ),
        "Saved. A changed email was in use at once, and the old address was told.",
    ),
    "role": Action(
        lambda s, a, u, w, f, ip: s.change_role(a, u, _role(f), reason=w, ip=ip),
        "Role changed; the account was signed out so its pages follow the new role.",
    ),
    "password-reset-link": Action(
        lambda s, a, u, w, f, ip: s.send_password_reset(a, u, reason=w, ip=ip),
        "A reset link was mailed; the current password keeps working until it is used.",
    ),
    "force-password-change": Action(
        lambda s, a, u, w, f, ip: s.force_password_change(a, u, reason=w, ip=ip),
        "The password stopped working, every session ended, and a link to choose a new "
        "one was mailed.",
    ),
    "end-sessions": Action(
        lambda s, a, u, w, f, ip: s.end_sessions(a, u, reason=w, ip=ip),
        "Signed out everywhere.",
    ),
    "revoke-api-keys": Action(
        lambda s, a, u, w, f, ip: s.revoke_api_keys(a, u, reason=w, ip=ip),
        "Every API key of the account was revoked.",
    ),
}


async def run_action(
    staff_accounts: StaffAccounts, actor: User, user_id: UUID, name: str, fields: Fields, ip: str
) -> Action:
    """Run the action `name` with `fields` (its reason and its own fields)."""
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"There is no action {name!r} on an account.", code="unknown_action")
    await action.run(staff_accounts, actor, user_id, fields.get("reason", ""), fields, ip)
    return action


# --- incident tools: everyone at once (admins only) ----------------------------------

INCIDENT_DONE = {
    "end-sessions": "Every session of every account ended; everyone signs in again.",
    "force-password-change": "Every password stopped working; each account was mailed a "
    "link to choose a new one.",
}


async def run_incident_tool(
    staff_accounts: StaffAccounts, actor: User, tool: str, reason: str, ip: str
) -> int:
    """Run the incident tool `tool` (see INCIDENT_DONE); how many accounts it touched."""
    if tool == "end-sessions":
        return await staff_accounts.end_everyones_sessions(actor, reason=reason, ip=ip)
    if tool == "force-password-change":
        return await staff_accounts.force_everyone_password_change(actor, reason=reason, ip=ip)
    raise NotFound(f"There is no incident tool {tool!r}.", code="unknown_tool")
