"""Accounts on SQLAlchemy Core: users, their sessions, tokens, login activity, two-factor
recovery codes, API keys and social identities: the tables and the repositories.

Every feature's tables point at `users`; the session store is in `sessions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    RowMapping,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of
from voiceqr.application.accounts.ports import (
    AccountTokenRepository,
    ApiKeyRepository,
    LoginEventRepository,
    RecoveryCodeRepository,
    SocialIdentityRepository,
    UserPosition,
    UserQuery,
    UserRepository,
    UserSort,
)
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey, Scope
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import Conflict

users = Table(
    "users",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200)),
    Column("role", String(20), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("status", String(20), nullable=False, server_default="active"),
    Column("email_verified_at", DateTimeUTC),
    Column("locked_until", DateTimeUTC),
    Column("terms_accepted_at", DateTimeUTC),
    Column("totp_secret", Text),
    Column("totp_enabled_at", DateTimeUTC),
    Column("totp_last_step", BigInteger),
    Column("password_changed_at", DateTimeUTC),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("last_seen_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("idle_expires_at", DateTimeUTC, nullable=False),
    Column("id", GUID, nullable=False, unique=True),
    Column("remember_me", Boolean, nullable=False, server_default=text("false")),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Column("device", String(100), nullable=False, server_default=""),
    Column("browser", String(100), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("method", String(20), nullable=False, server_default="password"),
    Column("reauthenticated_at", DateTimeUTC),
    # Staff viewing the site as a user, read-only, until a time (no foreign key: a
    # view on an account deleted meanwhile just ends).
    Column("viewing_user_id", GUID),
    Column("viewing_until", DateTimeUTC),
)

# The deletions waiting on accounts (defined with the rest of deleting accounts, which
# builds on this module): only what the signed-in lookup joins for the banner.
_deletions = table("account_deletions", column("user_id", GUID), column("due_at", DateTimeUTC))

# Verification, recovery, activity, two-factor, API keys, social sign-in.

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("purpose", String(30), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("data", JsonB, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("expires_at", DateTimeUTC, nullable=False),
    Column("used_at", DateTimeUTC),
)

login_events = Table(
    "login_events",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users"),
    Column("email", String(254), nullable=False),
    Column("success", Boolean, nullable=False),
    Column("method", String(20), nullable=False),
    Column("reason", String(50), nullable=False, server_default=""),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Column("device", String(100), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("occurred_at", DateTimeUTC, nullable=False),
    # A user's activity page, and the lockout count of recent failures per account.
    Index("ix_login_events_user_occurred", "user_id", "occurred_at"),
    Index("ix_login_events_occurred", "occurred_at"),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("used_at", DateTimeUTC),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", JsonB, nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("last_used_at", DateTimeUTC),
    Column("revoked_at", DateTimeUTC),
    Column("previous_secret_hash", String(64)),
    Column("previous_expires_at", DateTimeUTC),
)

social_identities = Table(
    "social_identities",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("user_id", "users", nullable=False, index=True),
    Column("provider", String(20), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("email", String(254), nullable=False, server_default=""),
    Column("created_at", DateTimeUTC, nullable=False),
    UniqueConstraint("provider", "subject", name="uq_social_identities_provider_subject"),
)


def user_of_row(row: RowMapping | dict[str, Any]) -> User:
    """The user a row of `users` holds (also read by other features' queries that join it)."""
    values = dict(row)
    values["role"] = Role(values["role"])
    values["status"] = UserStatus(values["status"])
    return User(**values)


def _user_row(user: User) -> dict[str, Any]:
    row = row_of(users, user)
    row["role"] = str(user.role)
    row["status"] = str(user.status)
    return row


class SqlUsers(Repository):
    async def add(self, user: User) -> None:
        await self._unique(insert(users).values(_user_row(user)), _email_taken(user))

    async def get(self, user_id: UUID) -> User | None:
        return await self._one(users.c.id == user_id)

    async def get_signed_in(self, user_id: UUID) -> tuple[User, datetime | None] | None:
        due = _deletions.c.due_at.label("deletion_due_at")
        query = (
            select(users, due)
            .select_from(users.outerjoin(_deletions, _deletions.c.user_id == users.c.id))
            .where(users.c.id == user_id)
        )
        row = await self._first(query)
        if row is None:
            return None
        values = dict(row)
        due_at: datetime | None = values.pop("deletion_due_at")
        return user_of_row(values), due_at

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email)

    async def update(self, user: User) -> None:
        values = _user_row(user)
        del values["id"], values["created_at"]
        statement = update(users).where(users.c.id == user.id).values(values)
        await self._unique(statement, _email_taken(user))

    async def advance_totp_step(self, user_id: UUID, step: int) -> bool:
        c = users.c
        result = await self._db.execute(
            update(users)
            .where(c.id == user_id, or_(c.totp_last_step.is_(None), c.totp_last_step < step))
            .values(totp_last_step=step)
        )
        return result.rowcount == 1

    async def list_admins(self) -> list[User]:
        rows = await self._rows(
            select(users).where(users.c.role == str(Role.ADMIN)).order_by(users.c.email)
        )
        return [user_of_row(row) for row in rows]

    async def search(self, query: UserQuery) -> list[User]:
        c = users.c
        statement = select(users).where(*_matching(query))
        key = _sort_key(query.sort)
        descending = query.sort is UserSort.NEWEST
        if query.after is not None:
            after = _position_value(query.sort, query.after)
            earlier = key < after if descending else key > after
            same = c.id < query.after.id if descending else c.id > query.after.id
            statement = statement.where(or_(earlier, and_(key == after, same)))
        order = (key.desc(), c.id.desc()) if descending else (key.asc(), c.id.asc())
        rows = await self._rows(statement.order_by(*order).limit(query.limit))
        return [user_of_row(row) for row in rows]

    async def count(self) -> int:
        return int((await self._db.execute(select(func.count()).select_from(users))).scalar_one())

    async def list(self) -> list[User]:
        return [user_of_row(row) for row in await self._rows(select(users).order_by(users.c.email))]

    async def _one(self, *conditions: Any) -> User | None:
        row = await self._first(select(users).where(*conditions))
        return None if row is None else user_of_row(row)


def _matching(query: UserQuery) -> list[Any]:
    """The conditions of the staff's user list. A prefix of the email, or of the name in
    lower case: the engine-specific prefix indexes of migration 0020 answer both."""
    c = users.c
    conditions: list[Any] = []
    text = query.text.strip().lower()
    if text:
        conditions.append(
            or_(
                c.email.startswith(text, autoescape=True),
                func.lower(c.name).startswith(text, autoescape=True),
            )
        )
    if query.role is not None:
        conditions.append(c.role == str(query.role))
    if query.verified is not None:
        verified = c.email_verified_at.is_not(None)
        conditions.append(verified if query.verified else ~verified)
    if query.locked is not None:
        locked = and_(c.locked_until.is_not(None), c.locked_until > query.now)
        conditions.append(locked if query.locked else ~locked)
    if query.disabled is not None:
        disabled = c.status == str(UserStatus.DISABLED)
        conditions.append(disabled if query.disabled else ~disabled)
    if query.signed_up_from is not None:
        conditions.append(c.created_at >= query.signed_up_from)
    if query.signed_up_before is not None:
        conditions.append(c.created_at < query.signed_up_before)
    return conditions


def _sort_key(sort: UserSort) -> Any:
    if sort is UserSort.EMAIL:
        return users.c.email
    if sort is UserSort.NAME:
        return func.lower(users.c.name)
    return users.c.created_at


def _position_value(sort: UserSort, position: UserPosition) -> Any:
    if sort in (UserSort.EMAIL, UserSort.NAME):
        return position.key
    return datetime.fromisoformat(position.key)


def _email_taken(user: User) -> Conflict:
    return Conflict(f"{user.email} already has an account.", code="email_taken")


class SqlAccountTokens(Repository):
    async def add(self, token: AccountToken) -> None:
        row = asdict(token)
        row["purpose"] = str(token.purpose)
        await self._db.execute(insert(account_tokens).values(row))

    async def get_by_hash(self, token_hash: str) -> AccountToken | None:
        row = await self._first(
            select(account_tokens).where(account_tokens.c.token_hash == token_hash)
        )
        if row is None:
            return None
        values = dict(row)
        values["purpose"] = TokenPurpose(values["purpose"])
        return AccountToken(**values)

    async def mark_used(self, token_id: UUID, *, at: datetime) -> bool:
        return await self._mark_used(account_tokens, token_id, at=at)

    async def void(self, user_id: UUID, purpose: TokenPurpose, *, at: datetime) -> None:
        c = account_tokens.c
        await self._db.execute(
            update(account_tokens)
            .where(c.user_id == user_id, c.purpose == str(purpose), c.used_at.is_(None))
            .values(used_at=at)
        )


class SqlLoginEvents(Repository):
    async def add(self, event: LoginEvent) -> None:
        await self._db.execute(insert(login_events).values(asdict(event)))

    async def count_failures(self, *, user_id: UUID, since: datetime) -> int:
        c = login_events.c
        query = (
            select(func.count())
            .select_from(login_events)
            .where(c.user_id == user_id, c.success.is_(False), c.occurred_at >= since)
        )
        return int((await self._db.execute(query)).scalar_one())

    async def list_for_user(
        self, user_id: UUID, *, limit: int, before: datetime | None = None
    ) -> list[LoginEvent]:
        c = login_events.c
        query = select(login_events).where(c.user_id == user_id)
        if before is not None:
            query = query.where(c.occurred_at <= before)
        rows = await self._rows(query.order_by(c.occurred_at.desc(), c.id.desc()).limit(limit))
        return [LoginEvent(**row) for row in rows]

    async def delete_before(self, cutoff: datetime) -> int:
        result = await self._db.execute(
            delete(login_events).where(login_events.c.occurred_at < cutoff)
        )
        return int(result.rowcount)


class SqlRecoveryCodes(Repository):
    async def replace(self, user_id: UUID, codes: Sequence[RecoveryCode]) -> None:
        await self._db.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
        if codes:
            await self._db.execute(insert(recovery_codes), [asdict(code) for code in codes])

    async def list_unused(self, user_id: UUID) -> list[RecoveryCode]:
        c = recovery_codes.c
        rows = await self._rows(
            select(recovery_codes).where(c.user_id == user_id, c.used_at.is_(None))
        )
        return [RecoveryCode(**row) for row in rows]

    async def mark_used(self, code_id: UUID, *, at: datetime) -> bool:
        return await self._mark_used(recovery_codes, code_id, at=at)


def _api_key(row: RowMapping) -> ApiKey:
    values = dict(row)
    values["scopes"] = frozenset(Scope(s) for s in values["scopes"])
    return ApiKey(**values)


def _api_key_row(key: ApiKey) -> dict[str, Any]:
    row = row_of(api_keys, key)
    row["scopes"] = sorted(str(s) for s in key.scopes)
    return row


class SqlApiKeys(Repository):
    async def add(self, key: ApiKey) -> None:
        await self._db.execute(insert(api_keys).values(_api_key_row(key)))

    async def get_owned(self, key_id: UUID, user_id: UUID) -> ApiKey | None:
        return await self._one(api_keys.c.id == key_id, api_keys.c.user_id == user_id)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        return await self._one(api_keys.c.prefix == prefix)

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        c = api_keys.c
        rows = await self._rows(
            select(api_keys).where(c.user_id == user_id).order_by(c.created_at.desc())
        )
        return [_api_key(row) for row in rows]

    async def update(self, key: ApiKey) -> None:
        values = _api_key_row(key)
        del values["id"], values["user_id"], values["created_at"]
        await self._db.execute(update(api_keys).where(api_keys.c.id == key.id).values(values))

    async def touch(self, key_id: UUID, *, at: datetime) -> None:
        c = api_keys.c
        await self._db.execute(
            update(api_keys).where(c.id == key_id, c.revoked_at.is_(None)).values(last_used_at=at)
        )

    async def _one(self, *conditions: Any) -> ApiKey | None:
        row = await self._first(select(api_keys).where(*conditions))
        return None if row is None else _api_key(row)


class SqlSocialIdentities(Repository):
    async def add(self, identity: SocialIdentity) -> None:
        await self._unique(
            insert(social_identities).values(asdict(identity)),
            Conflict("This account at the provider is linked already.", code="identity_linked"),
        )

    async def get(self, provider: str, subject: str) -> SocialIdentity | None:
        c = social_identities.c
        row = await self._first(
            select(social_identities).where(c.provider == provider, c.subject == subject)
        )
        return None if row is None else SocialIdentity(**row)

    async def list_for_user(self, user_id: UUID) -> list[SocialIdentity]:
        c = social_identities.c
        rows = await self._rows(
            select(social_identities).where(c.user_id == user_id).order_by(c.created_at)
        )
        return [SocialIdentity(**row) for row in rows]


class AccountsPart(Part):
    """The accounts feature's share of the unit of work."""

    users: UserRepository
    account_tokens: AccountTokenRepository
    login_events: LoginEventRepository
    recovery_codes: RecoveryCodeRepository
    api_keys: ApiKeyRepository
    social_identities: SocialIdentityRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.users = SqlUsers(connection)
        self.account_tokens = SqlAccountTokens(connection)
        self.login_events = SqlLoginEvents(connection)
        self.recovery_codes = SqlRecoveryCodes(connection)
        self.api_keys = SqlApiKeys(connection)
        self.social_identities = SqlSocialIdentities(connection)
        super().attach(connection)
