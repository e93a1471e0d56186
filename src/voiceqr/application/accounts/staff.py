"""Staff at work on people's accounts: find them, read them, and change them.

Support reads and acts on accounts (`MANAGE_ACCOUNTS`); only admins change roles and
act on a staff member's account (`CHANGE_ROLES`). Every change needs a reason, is
written to the audit log in its own transaction, and shows to the account's owner on
their security page (`changes_for_owner`), signed "voiceqr support". Staff never see
nor type a password: they mail a link, or reset the password so that the owner
chooses a new one from a mailed link.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from voiceqr.application.accounts.core import AccountsCore
from voiceqr.application.accounts.ports import (
    AccountsUnitOfWork,
    UserPosition,
    UserQuery,
    UserSort,
)
from voiceqr.application.shared.audit import record
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.staff_changes import SIGNED, check_reason, for_the_owner
from voiceqr.domain.accounts.tokens import TokenPurpose
from voiceqr.domain.accounts.users import Role, User, UserStatus, clean_name, normalize_email
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.domain.shared.errors import Conflict, NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7

MAX_USER_PAGE = 100
MAX_LOCK = timedelta(days=365)  # an account to keep out for good is disabled instead
LOGIN_HISTORY = 50
OWNER_CHANGES = 50


@dataclass(frozen=True, slots=True)
class UserPage:
    items: list[User]
    next_cursor: str | None  # the next page's cursor; None: this is the last one


@dataclass(frozen=True, slots=True)
class UserProfile:
    """What a staff member sees of one account on its page."""

    user: User
    login_history: list[LoginEvent]  # newest first
    sessions: list[Session]  # active ones
    api_keys: list[ApiKey]  # revoked ones included
    staff_actions: list[AuditEvent]  # newest first


@dataclass(frozen=True, slots=True)
class SupportChange:
    """A staff change as the account's owner reads it."""

    occurred_at: datetime
    what: str
    why: str
    by: str = SIGNED


Change = Callable[[AccountsUnitOfWork, User], Awaitable[dict[str, object]]]


class StaffAccounts(AccountsCore):
    """The backoffice's and the CLI's use cases on other people's accounts."""

    # --- reading ----------------------------------------------------------------------

    async def search(
        self, actor: Actor, query: UserQuery, *, cursor: str | None = None
    ) -> UserPage:
        """A page of accounts matching `query` (its `now` and `after` are set here)."""
        require(actor, Permission.READ_ACCOUNTS)
        limit = max(1, min(query.limit, MAX_USER_PAGE))
        after = None if cursor is None else decode_user_cursor(cursor, query.sort)
        found = replace(query, now=self.clock(), after=after, limit=limit + 1)
        async with self.uow() as uow:
            users = await uow.users.search(found)
        more = len(users) > limit
        users = users[:limit]
        return UserPage(
            users, encode_user_cursor(query.sort, users[-1]) if more and users else None
        )

    async def profile(self, actor: Actor, user_id: UUID) -> UserProfile:
        require(actor, Permission.READ_ACCOUNTS)
        async with self.uow() as uow:
            user = await _get(uow, user_id)
            history = await uow.login_events.list_for_user(user.id, limit=LOGIN_HISTORY)
            keys = await uow.api_keys.list_for_user(user.id)
            actions = await uow.audit.list_for_target("user", str(user.id), limit=OWNER_CHANGES)
        now = self.clock()
        sessions = [s for s in await self.sessions.list_for_user(user.id) if s.is_active(now)]
        return UserProfile(user, history, sessions, keys, actions)

    async def changes_for_owner(self, user: User) -> list[SupportChange]:
        """The staff changes to `user`'s own account, newest first, in their words."""
        async with self.uow() as uow:
            actions = await uow.audit.list_for_target("user", str(user.id), limit=OWNER_CHANGES)
        return [
            SupportChange(a.occurred_at, for_the_owner(a.action), str(a.details.get("reason", "")))
            for a in actions
            if a.actor_id != user.id
        ]

    # --- changing ---------------------------------------------------------------------

    async def create(
        self,
        actor: Actor,
        *,
        email: str,
        name: str,
        reason: str,
        role: Role = Role.USER,
        verified: bool = True,
        ip: str = "",
    ) -> User:
        """An account with no password: the welcome mail carries a link to choose one
        (7 days). Verified at once, or sent a verification mail too. Any role but
        `user` needs the right to change roles; Conflict if the email is taken."""
        user = new_account(
            actor, email=email, name=name, role=role, verified=verified, now=self.clock()
        )
        why, now, address = check_reason(reason), user.created_at, user.email
        async with self.uow() as uow:
            await uow.users.add(user)
            await self._mail_link(
                uow, user, TokenPurpose.SET_PASSWORD, "account_created", "/reset-password"
            )
            if not verified:
                await self._mail_link(
                    uow, user, TokenPurpose.VERIFY_EMAIL, "verify_email", "/verify-email"
                )
            await record(
                uow,
                actor,
                "user.create",
                target=("user", user.id),
                now=now,
                ip=ip,
                details={"email": address, "role": str(role), "verified": verified, "reason": why},
            )
            await uow.commit()
        return user

    async def edit(
        self,
        actor: Actor,
        user_id: UUID,
        *,
        reason: str,
        name: str | None = None,
        email: str | None = None,
        ip: str = "",
    ) -> User:
        """A new name and/or email. A new email needs no confirmation (staff vouch for
        it); the old address is told by mail. Conflict if the email is taken."""
        new_name = None if name is None else clean_name(name)
        new_email = None if email is None else normalize_email(email)

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            changes: dict[str, object] = {}
            if new_name is not None and new_name != user.name:
                changes["name"] = {"from": user.name, "to": new_name}
                user.name = new_name
            if new_email is not None and new_email != user.email:
                changes["new_email"] = new_email
                old = user.email
                user.email = new_email
                user.email_verified_at = user.email_verified_at or self.clock()
                await uow.account_tokens.void(user.id, TokenPurpose.CHANGE_EMAIL, at=self.clock())
                await self.notifications.send(
                    uow, "email_changed", to=old, name=user.name, new_email=new_email
                )
            if not changes:
                raise ValidationError("Nothing to change: the name and email are the same.")
            return changes

        return await self._change(actor, user_id, "user.edit", reason, ip, change)

    async def change_role(
        self, actor: Actor, user_id: UUID, role: Role, *, reason: str, ip: str = ""
    ) -> User:
        """Admins only. Nobody changes their own role (an admin would lock themselves out)."""
        require(actor, Permission.CHANGE_ROLES)
        if actor.id == user_id:
            raise Conflict("You cannot change your own role.", code="own_role")

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            if user.role is role:
                raise ValidationError(f"The account is {role} already.", code="role_unchanged")
            was, user.role = user.role, role
            return {"from": str(was), "to": str(role)}

        user = await self._change(actor, user_id, "user.role", reason, ip, change)
        await self.sessions.delete_for_user(user_id)  # its pages change with the role
        return user

    async def lock(
        self, actor: Actor, user_id: UUID, *, until: datetime, reason: str, ip: str = ""
    ) -> User:
        """Keep the account out until a time (at most a year on); its sessions end."""
        now = self.clock()
        if until <= now:
            raise ValidationError("Lock until a time in the future.", code="lock_in_past")
        if until > now + MAX_LOCK:
            raise ValidationError(
                "Lock for at most a year; disable an account to keep it out for good.",
                code="lock_too_long",
            )

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            user.locked_until = until
            return {"locked_until": until.isoformat()}

        user = await self._change(actor, user_id, "user.lock", reason, ip, change)
        await self.sessions.delete_for_user(user_id)
        return user

    async def unlock(self, actor: Actor, user_id: UUID, *, reason: str, ip: str = "") -> User:
        """Lift a lock (by hand or from failed sign-ins); failures before it stop counting."""

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            now = self.clock()
            if not user.is_locked(now):
                raise ValidationError("The account is not locked.", code="not_locked")
            user.locked_until = now
            return {}

        return await self._change(actor, user_id, "user.unlock", reason, ip, change)

    async def set_status(
        self, actor: Actor, user_id: UUID, status: UserStatus, *, reason: str, ip: str = ""
    ) -> User:
        """Disable (its sessions end; it cannot sign in) or enable the account."""
        action = "user.disable" if status is UserStatus.DISABLED else "user.enable"

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            if user.status is status:
                raise ValidationError(f"The account is {status} already.", code="status_unchanged")
            user.status = status
            return {}

        user = await self._change(actor, user_id, action, reason, ip, change)
        if status is UserStatus.DISABLED:
            await self.sessions.delete_for_user(user_id)
        return user

    async def verify_email(self, actor: Actor, user_id: UUID, *, reason: str, ip: str = "") -> User:
        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            if user.is_verified:
                raise ValidationError("The email is verified already.", code="verified_already")
            user.email_verified_at = self.clock()
            return {}

        return await self._change(actor, user_id, "user.verify", reason, ip, change)

    async def send_password_reset(
        self, actor: Actor, user_id: UUID, *, reason: str, ip: str = ""
    ) -> User:
        """Mail the owner a reset link; the current password keeps working meanwhile."""

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            await self._mail_link(
                uow, user, TokenPurpose.RESET_PASSWORD, "support_password_reset", "/reset-password"
            )
            return {}

        return await self._change(actor, user_id, "user.password_reset_link", reason, ip, change)

    async def force_password_change(
        self, actor: Actor, user_id: UUID, *, reason: str, ip: str = ""
    ) -> User:
        """The password stops working at once and every session ends; the owner is
        mailed a link to choose a new one before signing in again."""

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            user.password_hash = None
            user.password_changed_at = self.clock()
            await self._mail_link(
                uow,
                user,
                TokenPurpose.RESET_PASSWORD,
                "password_reset_required",
                "/reset-password",
            )
            return {}

        user = await self._change(actor, user_id, "user.force_password_change", reason, ip, change)
        await self.sessions.delete_for_user(user_id)
        return user

    async def end_sessions(self, actor: Actor, user_id: UUID, *, reason: str, ip: str = "") -> int:
        """Sign the account out everywhere; how many sessions ended. (The session store
        stands apart from the unit of work: on SQLite it needs the connection the unit
        of work holds, so the sessions end once the entry is saved.)"""
        now = self.clock()
        active = [s for s in await self.sessions.list_for_user(user_id) if s.is_active(now)]

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            return {"sessions": len(active)}

        await self._change(actor, user_id, "user.sessions_end", reason, ip, change, save=False)
        await self.sessions.delete_for_user(user_id)
        return len(active)

    async def revoke_api_keys(
        self, actor: Actor, user_id: UUID, *, reason: str, ip: str = ""
    ) -> int:
        """Revoke every active API key of the account; how many were."""
        revoked = 0

        async def change(uow: AccountsUnitOfWork, user: User) -> dict[str, object]:
            nonlocal revoked
            now = self.clock()
            for key in await uow.api_keys.list_for_user(user.id):
                if key.is_active():
                    key.revoked_at = now
                    await uow.api_keys.update(key)
                    revoked += 1
            return {"api_keys": revoked}

        await self._change(actor, user_id, "user.api_keys_revoke", reason, ip, change, save=False)
        return revoked

    # --- incident tools: everyone at once (admins only) ---------------------------------

    async def count_accounts(self, actor: Actor) -> int:
        """How many accounts an incident tool would touch (its confirmation says it)."""
        require(actor, Permission.READ_ACCOUNTS)
        async with self.uow() as uow:
            return await uow.users.count()

    async def end_everyones_sessions(self, actor: Actor, *, reason: str, ip: str = "") -> int:
        """Sign every account out (the actor too); how many accounts. One audit entry."""
        require(actor, Permission.CHANGE_ROLES)
        why = check_reason(reason)
        async with self.uow() as uow:
            everyone = await uow.users.list()
            await record(
                uow,
                actor,
                "users.sessions_end",
                target=("users", "all"),
                now=self.clock(),
                ip=ip,
                details={"reason": why, "accounts": len(everyone)},
            )
            await uow.commit()
        for user in everyone:
            await self.sessions.delete_for_user(user.id)
        return len(everyone)

    async def force_everyone_password_change(
        self, actor: Actor, *, reason: str, ip: str = ""
    ) -> int:
        """Every password stops working, every session ends, and each account with a
        password is mailed a link to choose a new one (the actor's own too: an incident
        spares nobody). How many accounts; each is audited as its own change."""
        require(actor, Permission.CHANGE_ROLES)
        check_reason(reason)
        async with self.uow() as uow:
            everyone = [u.id for u in await uow.users.list() if u.password_hash is not None]
        for user_id in everyone:
            await self.force_password_change(actor, user_id, reason=reason, ip=ip)
        return len(everyone)

    async def _change(
        self,
        actor: Actor,
        user_id: UUID,
        action: str,
        reason: str,
        ip: str,
        change: Change,
        *,
        save: bool = True,
    ) -> User:
        async def find(uow: AccountsUnitOfWork) -> User:
            return await _get(uow, user_id)

        return await audited_change(
            self, actor, find, action, ip, change, reason=check_reason(reason), save=save
        )

    @classmethod
    def sharing(cls, accounts: AccountsCore) -> StaffAccounts:
        """Staff's use cases on the same stores, mail, clock and policy as `accounts`."""
        return cls(
            uow=accounts.uow,
            sessions=accounts.sessions,
            hasher=accounts.hasher,
            limits=accounts.limits,
            notifications=accounts.notifications,
            clock=accounts.clock,
            policy=accounts.policy,
        )


def new_account(
    actor: Actor,
    *,
    email: str,
    name: str,
    role: Role,
    verified: bool,
    now: datetime,
) -> User:
    """A new account as staff make it (not saved yet): any role but `user` needs the
    right to change roles; the name defaults to the email's first part."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    if role is not Role.USER:
        require(actor, Permission.CHANGE_ROLES)
    address = normalize_email(email)
    return User(
        id=uuid7(),
        email=address,
        name=clean_name(name) if name.strip() else address.split("@")[0],
        password_hash=None,  # the caller sets one, or the owner chooses it from a mail
        role=role,
        created_at=now,
        email_verified_at=now if verified else None,
    )


async def audited_change(
    core: AccountsCore,
    actor: Actor,
    find: Callable[[AccountsUnitOfWork], Awaitable[User]],
    action: str,
    ip: str,
    change: Change,
    *,
    reason: str | None,
    save: bool = True,
) -> User:
    """Run `change` on the account `find` gives, in one transaction with its audit entry
    (the reason, when there is one, and what `change` returns). A staff member's
    account is changed only by those who may give roles: support cannot lock out an
    admin."""
    require(actor, Permission.MANAGE_ACCOUNTS)
    async with core.uow() as uow:
        user = await find(uow)
        if user.role is not Role.USER:
            require(actor, Permission.CHANGE_ROLES)
        details = await change(uow, user)
        if save:
            await uow.users.update(user)
        await record(
            uow,
            actor,
            action,
            target=("user", user.id),
            now=core.clock(),
            ip=ip,
            details={"email": user.email, **({"reason": reason} if reason else {}), **details},
        )
        await uow.commit()
    return user


async def _get(uow: AccountsUnitOfWork, user_id: UUID) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("No such account.", code="user_not_found")
    return user


def encode_user_cursor(sort: UserSort, last: User) -> str:
    """An opaque cursor for the accounts after `last` in the order `sort`."""
    if sort is UserSort.EMAIL:
        key = last.email
    elif sort is UserSort.NAME:
        key = last.name.lower()
    else:
        key = last.created_at.isoformat()
    raw = json.dumps([str(sort), key, str(last.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_user_cursor(cursor: str, sort: UserSort) -> UserPosition:
    """The position a cursor stands for; ValidationError when altered or of another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, user_id = json.loads(raw)
        position = UserPosition(str(key), UUID(str(user_id)))
        if cursor_sort != str(sort):
            raise ValueError(cursor_sort)
        if sort in (UserSort.NEWEST, UserSort.OLDEST):
            datetime.fromisoformat(position.key)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationError(
            "This cursor is not one we gave out for this order; start again from the first page.",
            code="invalid_cursor",
        ) from exc
    return position
