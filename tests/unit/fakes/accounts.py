"""Fake stores of the accounts feature, the session store and the password hasher."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.accounts.ports import (
    AccountTokenRepository,
    ApiKeyRepository,
    LoginEventRepository,
    RecoveryCodeRepository,
    SocialIdentityRepository,
    UserQuery,
    UserRepository,
    UserSort,
)
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import (
    Conflict,
)


class FakeUsers(Table):
    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._db.users.values()):
            raise Conflict(f"{user.email} already has an account.", code="email_taken")
        if user.id in self._db.users:
            raise Conflict("duplicate user id", code="duplicate_key")
        self._db.users[user.id] = copy.deepcopy(user)
        self._wrote()

    async def get(self, user_id: UUID) -> User | None:
        return copy.deepcopy(self._db.users.get(user_id))

    async def get_signed_in(self, user_id: UUID) -> tuple[User, datetime | None] | None:
        user = await self.get(user_id)
        if user is None:
            return None
        deletion = self._db.account_deletions.get(user_id)
        return user, None if deletion is None else deletion.due_at

    async def get_by_email(self, email: str) -> User | None:
        for user in self._db.users.values():
            if user.email == email:
                return copy.deepcopy(user)
        return None

    async def update(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is None:
            return
        if any(u.email == user.email and u.id != user.id for u in self._db.users.values()):
            raise Conflict(f"{user.email} already has an account.", code="email_taken")
        updated = copy.deepcopy(user)
        updated.created_at = stored.created_at
        self._db.users[user.id] = updated
        self._wrote()

    async def advance_totp_step(self, user_id: UUID, step: int) -> bool:
        stored = self._db.users.get(user_id)
        if stored is None or (stored.totp_last_step is not None and stored.totp_last_step >= step):
            return False
        stored.totp_last_step = step
        self._wrote()
        return True

    async def list_admins(self) -> list[User]:
        admins = [u for u in self._db.users.values() if u.role is Role.ADMIN]
        return copy.deepcopy(sorted(admins, key=lambda u: u.email))

    async def list(self) -> list[User]:
        return copy.deepcopy(sorted(self._db.users.values(), key=lambda u: u.email))

    async def search(self, query: UserQuery) -> list[User]:
        """The SQL adapter's filters and keyset order, on the fake rows."""
        text = query.text.strip().lower()

        def matches(u: User) -> bool:
            locked = u.locked_until is not None and u.locked_until > query.now
            return (
                (not text or u.email.startswith(text) or u.name.lower().startswith(text))
                and (query.role is None or u.role is query.role)
                and (query.verified is None or u.is_verified is query.verified)
                and (query.locked is None or locked is query.locked)
                and (query.disabled is None or (u.status is UserStatus.DISABLED) is query.disabled)
                and (query.signed_up_from is None or u.created_at >= query.signed_up_from)
                and (query.signed_up_before is None or u.created_at < query.signed_up_before)
            )

        def key(u: User) -> tuple[str, str]:
            if query.sort is UserSort.EMAIL:
                return u.email, str(u.id)
            if query.sort is UserSort.NAME:
                return u.name.lower(), str(u.id)
            return u.created_at.isoformat(), str(u.id)

        newest = query.sort is UserSort.NEWEST
        found = sorted(filter(matches, self._db.users.values()), key=key, reverse=newest)
        if query.after is not None:
            mark = (query.after.key, str(query.after.id))
            found = [u for u in found if (key(u) < mark if newest else key(u) > mark)]
        return copy.deepcopy(found[: query.limit])

    async def count(self) -> int:
        return len(self._db.users)


class FakeAccountTokens(Table):
    async def add(self, token: AccountToken) -> None:
        self._db.account_tokens[token.id] = copy.deepcopy(token)
        self._wrote()

    async def get_by_hash(self, token_hash: str) -> AccountToken | None:
        for token in self._db.account_tokens.values():
            if token.token_hash == token_hash:
                return copy.deepcopy(token)
        return None

    async def mark_used(self, token_id: UUID, *, at: datetime) -> bool:
        stored = self._db.account_tokens.get(token_id)
        if stored is None or stored.used_at is not None:
            return False
        stored.used_at = at
        self._wrote()
        return True

    async def void(self, user_id: UUID, purpose: TokenPurpose, *, at: datetime) -> None:
        for token in self._db.account_tokens.values():
            if token.user_id == user_id and token.purpose is purpose and token.used_at is None:
                token.used_at = at
                self._wrote()


class FakeLoginEvents(Table):
    async def add(self, event: LoginEvent) -> None:
        self._db.login_events.append(copy.deepcopy(event))
        self._wrote()

    async def count_failures(self, *, user_id: UUID, since: datetime) -> int:
        return sum(
            1
            for e in self._db.login_events
            if e.user_id == user_id and not e.success and e.occurred_at >= since
        )

    async def list_for_user(
        self, user_id: UUID, *, limit: int, before: datetime | None = None
    ) -> list[LoginEvent]:
        mine = [
            e
            for e in self._db.login_events
            if e.user_id == user_id and (before is None or e.occurred_at <= before)
        ]
        mine.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return copy.deepcopy(mine[:limit])

    async def delete_before(self, cutoff: datetime) -> int:
        before = len(self._db.login_events)
        self._db.login_events = [e for e in self._db.login_events if e.occurred_at >= cutoff]
        if len(self._db.login_events) != before:
            self._wrote()
        return before - len(self._db.login_events)


class FakeRecoveryCodes(Table):
    async def replace(self, user_id: UUID, codes: Sequence[RecoveryCode]) -> None:
        self._db.recovery_codes = {
            k: v for k, v in self._db.recovery_codes.items() if v.user_id != user_id
        }
        for code in codes:
            self._db.recovery_codes[code.id] = copy.deepcopy(code)
        self._wrote()

    async def list_unused(self, user_id: UUID) -> list[RecoveryCode]:
        return copy.deepcopy(
            [c for c in self._db.recovery_codes.values() if c.user_id == user_id and not c.used_at]
        )

    async def mark_used(self, code_id: UUID, *, at: datetime) -> bool:
        stored = self._db.recovery_codes.get(code_id)
        if stored is None or stored.used_at is not None:
            return False
        self._db.recovery_codes[code_id] = dataclasses.replace(stored, used_at=at)
        self._wrote()
        return True


class FakeApiKeys(Table):
    async def add(self, key: ApiKey) -> None:
        if any(k.prefix == key.prefix for k in self._db.api_keys.values()):
            raise Conflict("duplicate prefix", code="duplicate_key")
        self._db.api_keys[key.id] = copy.deepcopy(key)
        self._wrote()

    async def get_owned(self, key_id: UUID, user_id: UUID) -> ApiKey | None:
        key = self._db.api_keys.get(key_id)
        return copy.deepcopy(key) if key is not None and key.user_id == user_id else None

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        for key in self._db.api_keys.values():
            if key.prefix == prefix:
                return copy.deepcopy(key)
        return None

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        mine = [k for k in self._db.api_keys.values() if k.user_id == user_id]
        return copy.deepcopy(sorted(mine, key=lambda k: k.created_at, reverse=True))

    async def update(self, key: ApiKey) -> None:
        if key.id in self._db.api_keys:
            self._db.api_keys[key.id] = copy.deepcopy(key)
            self._wrote()

    async def touch(self, key_id: UUID, *, at: datetime) -> None:
        stored = self._db.api_keys.get(key_id)
        if stored is not None and stored.revoked_at is None:
            stored.last_used_at = at
            self._wrote()


class FakeSocialIdentities(Table):
    async def add(self, identity: SocialIdentity) -> None:
        if await self.get(identity.provider, identity.subject) is not None:
            raise Conflict(
                "This account at the provider is linked already.", code="identity_linked"
            )
        self._db.social_identities[identity.id] = identity
        self._wrote()

    async def get(self, provider: str, subject: str) -> SocialIdentity | None:
        for identity in self._db.social_identities.values():
            if identity.provider == provider and identity.subject == subject:
                return identity
        return None

    async def list_for_user(self, user_id: UUID) -> list[SocialIdentity]:
        return [i for i in self._db.social_identities.values() if i.user_id == user_id]


class FakeSessionStore:
    """Sessions outside any transaction, like the database and Redis stores."""

    def __init__(self) -> None:
        self.sessions: dict[str, Session] = {}

    async def add(self, session: Session) -> None:
        if session.token_hash in self.sessions:
            raise Conflict("duplicate session", code="duplicate_key")
        self.sessions[session.token_hash] = copy.deepcopy(session)

    async def get(self, token_hash: str) -> Session | None:
        return copy.deepcopy(self.sessions.get(token_hash))

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None:
        stored = self.sessions.get(token_hash)
        if stored is not None:
            stored.last_seen_at = last_seen_at
            stored.idle_expires_at = idle_expires_at

    async def mark_reauthenticated(self, token_hash: str, *, at: datetime) -> None:
        stored = self.sessions.get(token_hash)
        if stored is not None:
            stored.reauthenticated_at = at

    async def start_viewing(self, token_hash: str, *, user_id: UUID, until: datetime) -> None:
        stored = self.sessions.get(token_hash)
        if stored is not None:
            stored.viewing_user_id, stored.viewing_until = user_id, until

    async def stop_viewing(self, token_hash: str) -> bool:
        stored = self.sessions.get(token_hash)
        if stored is None or stored.viewing_user_id is None:
            return False
        stored.viewing_user_id, stored.viewing_until = None, None
        return True

    async def delete(self, token_hash: str) -> None:
        self.sessions.pop(token_hash, None)

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        mine = [s for s in self.sessions.values() if s.user_id == user_id]
        return copy.deepcopy(sorted(mine, key=lambda s: s.last_seen_at, reverse=True))

    async def delete_for_user(self, user_id: UUID, *, keep: str | None = None) -> int:
        doomed = [h for h, s in self.sessions.items() if s.user_id == user_id and h != keep]
        for token_hash in doomed:
            del self.sessions[token_hash]
        return len(doomed)


class FakeHasher:
    """Fast and deterministic; `scheme` changes what `needs_rehash` considers current."""

    def __init__(self, scheme: str = "fake1") -> None:
        self.scheme = scheme
        self.verified = 0

    def make(self, password: str, scheme: str | None = None) -> str:
        digest = hashlib.sha256(password.encode()).hexdigest()
        return f"${scheme or self.scheme}${digest}"

    async def hash(self, password: str) -> str:
        return self.make(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verified += 1
        _, scheme, _ = password_hash.split("$", 2)
        return password_hash == self.make(password, scheme)

    def needs_rehash(self, password_hash: str) -> bool:
        return not password_hash.startswith(f"${self.scheme}$")


class AccountsPart(Part):
    """The accounts feature's fake repositories."""

    users: UserRepository
    account_tokens: AccountTokenRepository
    login_events: LoginEventRepository
    recovery_codes: RecoveryCodeRepository
    api_keys: ApiKeyRepository
    social_identities: SocialIdentityRepository

    def attach(self) -> None:
        self.users = FakeUsers(self)
        self.account_tokens = FakeAccountTokens(self)
        self.login_events = FakeLoginEvents(self)
        self.recovery_codes = FakeRecoveryCodes(self)
        self.api_keys = FakeApiKeys(self)
        self.social_identities = FakeSocialIdentities(self)
        super().attach()
