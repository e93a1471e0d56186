"""API keys (P6, S4): named, scoped keys that sign API requests in without a browser.

A key reads `vqr_<id>_<secret>`. `vqr_<id>` is its prefix: kept in clear, shown in
lists so people can tell their keys apart, and how a presented key is looked up.
The secret is 256 random bits, shown once and stored only as its SHA-256 digest.
A slow hash (argon2) is for passwords, which people choose and attackers can guess;
nobody can guess 256 random bits, so a fast hash protects a leaked table just as
well and keeps every API request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from uuid import UUID

from voiceqr.application.accounts.ports import AccountsUnitOfWork, ApiKeyRepository
from voiceqr.domain.accounts.api_keys import ApiKey, Scope, parse_scopes
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7

KEY_MARK = "vqr_"
PREFIX_CHARACTERS = 12  # letters and digits: about 71 bits, so prefixes never collide in practice
SECRET_BYTES = 32  # 256 random bits
MAX_NAME_LENGTH = 100
MAX_KEY_LENGTH = 200  # longer than any key we issue; refused before hashing
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write per key per minute

_ALPHANUMERIC = string.ascii_letters + string.digits
# Compared against when no key has the presented prefix, so that case costs the same.
_NO_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


class NewApiKey(NamedTuple):
    """A key just made or rotated, with the full key text: shown once, never stored."""

    key: ApiKey
    token: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_prefix() -> str:
    # No "_" or "-" in the id, so `vqr_<id>_<secret>` splits at the first "_" after the mark.
    return KEY_MARK + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(PREFIX_CHARACTERS))


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def _split(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    if len(token) > MAX_KEY_LENGTH or not token.startswith(KEY_MARK):
        return None
    ident, separator, secret = token[len(KEY_MARK) :].partition("_")
    if not separator or not ident or not secret:
        return None
    return KEY_MARK + ident, secret


def _grace_ends_at(key: ApiKey, now: datetime) -> datetime | None:
    ends = key.previous_expires_at
    if key.revoked_at is None and key.previous_secret_hash and ends and now < ends:
        return ends
    return None


def clean_key_name(name: str) -> str:
    """The name with runs of white space made one space; 1 to 100 characters."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("Give the key a name.", code="api_key_name_blank")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"A key name has at most {MAX_NAME_LENGTH} characters.", code="api_key_name_too_long"
        )
    return cleaned


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKeys:
    """Create, list, revoke and rotate a user's API keys, and authenticate requests by key."""

    uow: Callable[[], AccountsUnitOfWork]
    clock: Callable[[], datetime]
    rotation_grace: timedelta = timedelta(hours=24)

    async def create(self, user: User, name: str, scopes: Iterable[str]) -> NewApiKey:
        """A new key with a name (1-100 characters) and at least one scope.

        Only administrators may give a key the admin scope. The full key is in the
        result and nowhere else: it cannot be shown again.
        """
        cleaned = clean_key_name(name)
        granted = parse_scopes(list(scopes))
        if Scope.ADMIN in granted and not user.is_admin:
            raise PermissionDenied(
                "Only administrators can make keys with the admin scope.", code="admin_scope_denied"
            )
        secret = _new_secret()
        key = ApiKey(
            id=uuid7(),
            user_id=user.id,
            name=cleaned,
            prefix=_new_prefix(),
            secret_hash=_digest(secret),
            scopes=granted,
            created_at=self.clock(),
        )
        async with self.uow() as uow:
            await uow.api_keys.add(key)
            await uow.commit()
        return NewApiKey(key, f"{key.prefix}_{secret}")

    async def list(self, user: User) -> list[ApiKey]:
        """The user's keys, newest first, revoked ones included."""
        async with self.uow() as uow:
            return await uow.api_keys.list_for_user(user.id)

    async def revoke(self, user: User, key_id: UUID) -> ApiKey:
        """Stop a key at once, including a previous secret still in its grace period.

        Revoking a revoked key changes nothing; another user's key is not found.
        """
        async with self.uow() as uow:
            key = await self._owned(uow.api_keys, user, key_id)
            if key.revoked_at is None:
                key.revoked_at = self.clock()
                key.previous_secret_hash = None
                key.previous_expires_at = None
                await uow.api_keys.update(key)
                await uow.commit()
        return key

    async def rotate(self, user: User, key_id: UUID) -> NewApiKey:
        """A new secret for a key (same prefix, name and scopes).

        The secret it replaces keeps working for the grace period (24 hours by default)
        so clients can switch over; an older secret from an earlier rotation stops now.
        """
        now = self.clock()
        secret = _new_secret()
        async with self.uow() as uow:
            key = await self._owned(uow.api_keys, user, key_id)
            if key.revoked_at is not None:
                raise Conflict(
                    "This key is revoked; create a new one instead.", code="api_key_revoked"
                )
            key.previous_secret_hash = key.secret_hash
            key.previous_expires_at = now + self.rotation_grace
            key.secret_hash = _digest(secret)
            await uow.api_keys.update(key)
            await uow.commit()
        return NewApiKey(key, f"{key.prefix}_{secret}")

    def grace_ends_at(self, key: ApiKey) -> datetime | None:
        """When a rotated key's old secret stops working, while it still works; else None."""
        return _grace_ends_at(key, self.clock())

    async def authenticate(self, token: str) -> tuple[User, frozenset[Scope]]:
        """The user a presented key belongs to, and the key's scopes.

        An unknown, malformed, revoked or expired key, and a key of a disabled or
        locked account, all raise the same AuthenticationFailed. Notes the time of
        use, at most once a minute per key.
        """
        failure = AuthenticationFailed("The API key is not valid.", code="api_key_invalid")
        parts = _split(token)
        now = self.clock()
        async with self.uow() as uow:
            key = await uow.api_keys.get_by_prefix(parts[0]) if parts else None
            presented = _digest(parts[1] if parts else token)
            current = hmac.compare_digest(presented, key.secret_hash if key else _NO_KEY_HASH)
            previous = (
                key is not None
                and _grace_ends_at(key, now) is not None
                and hmac.compare_digest(presented, key.previous_secret_hash or "")
            )
            if key is None or key.revoked_at is not None or not (current or previous):
                raise failure
            user = await uow.users.get(key.user_id)
            if user is None or user.status is not UserStatus.ACTIVE or user.is_locked(now):
                raise failure
            if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
                # Only the one column: a whole-row write could undo a revoke committed
                # since this request read the key.
                await uow.api_keys.touch(key.id, at=now)
                await uow.commit()
        return user, key.scopes

    @staticmethod
    async def _owned(keys: ApiKeyRepository, user: User, key_id: UUID) -> ApiKey:
        key = await keys.get_owned(key_id, user.id)
        if key is None:
            raise NotFound("No such API key.", code="api_key_not_found")
        return key
