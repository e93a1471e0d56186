"""What the accounts feature needs from outside: its stores, hashing, sealing and
the OpenID Connect providers, and the unit of work its use cases open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from voiceqr.application.compliance.ports import LegalRecordsUnitOfWork
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.ports import AuditedUnitOfWork
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User


class UserSort(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    EMAIL = "email"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class UserPosition:
    """Where a page of the staff's user list ended: its last row's sort key and id."""

    key: str  # the email, the lower-cased name, or the sign-up time in ISO form
    id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class UserQuery:
    """The staff's user list: a prefix of the email or the name (any case), filters, a
    sort and where the previous page ended."""

    now: datetime  # what "locked" means: locked_until later than this
    text: str = ""
    role: Role | None = None
    verified: bool | None = None
    locked: bool | None = None
    disabled: bool | None = None
    signed_up_from: datetime | None = None
    signed_up_before: datetime | None = None
    sort: UserSort = UserSort.NEWEST
    after: UserPosition | None = None
    limit: int = 50


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `Conflict` (code `email_taken`) when the email is in use."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_signed_in(self, user_id: UUID) -> tuple[User, datetime | None] | None:
        """The account and when its deletion is due (None when it is not being deleted),
        in one query: every signed-in page reads both (the banner of a pending deletion)."""
        ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def advance_totp_step(self, user_id: UUID, step: int) -> bool:
        """Record a used TOTP step if it is later than the last one; False otherwise."""
        ...

    async def list_admins(self) -> list[User]:
        """Every administrator, active or not (the caller decides who gets mail)."""
        ...

    async def search(self, query: UserQuery) -> list[User]:
        """At most `query.limit` accounts matching it, in its order, after its position."""
        ...

    async def count(self) -> int: ...

    async def list(self) -> list[User]: ...


class AccountTokenRepository(Protocol):
    async def add(self, token: AccountToken) -> None: ...

    async def get_by_hash(self, token_hash: str) -> AccountToken | None: ...

    async def mark_used(self, token_id: UUID, *, at: datetime) -> bool:
        """Use the token once; False when it was already used (a concurrent second use)."""
        ...

    async def void(self, user_id: UUID, purpose: TokenPurpose, *, at: datetime) -> None:
        """Mark every unused token of that purpose used (a new link replaces old ones)."""
        ...


class LoginEventRepository(Protocol):
    async def add(self, event: LoginEvent) -> None: ...

    async def count_failures(self, *, user_id: UUID, since: datetime) -> int: ...

    async def list_for_user(
        self, user_id: UUID, *, limit: int, before: datetime | None = None
    ) -> list[LoginEvent]:
        """Newest first; only those at or before `before` when given."""
        ...

    async def delete_before(self, cutoff: datetime) -> int: ...


class RecoveryCodeRepository(Protocol):
    async def replace(self, user_id: UUID, codes: Sequence[RecoveryCode]) -> None:
        """The user's codes become exactly `codes` (regenerating voids the old ones)."""
        ...

    async def list_unused(self, user_id: UUID) -> list[RecoveryCode]: ...

    async def mark_used(self, code_id: UUID, *, at: datetime) -> bool: ...


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey) -> None: ...

    async def get_owned(self, key_id: UUID, user_id: UUID) -> ApiKey | None: ...

    async def get_by_prefix(self, prefix: str) -> ApiKey | None: ...

    async def list_for_user(self, user_id: UUID) -> list[ApiKey]:
        """Newest first, revoked ones included."""
        ...

    async def update(self, key: ApiKey) -> None: ...

    async def touch(self, key_id: UUID, *, at: datetime) -> None:
        """Record a use: sets last_used_at only, and only on a key that is not revoked."""
        ...


class SocialIdentityRepository(Protocol):
    async def add(self, identity: SocialIdentity) -> None:
        """Raises `Conflict` (code `identity_linked`) when it is linked already."""
        ...

    async def get(self, provider: str, subject: str) -> SocialIdentity | None: ...

    async def list_for_user(self, user_id: UUID) -> list[SocialIdentity]: ...


class AccountsUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, LegalRecordsUnitOfWork, Protocol):
    """The stores of accounts, sessions excepted (they stand alone), in one transaction;
    with the terms' versions, as signing up accepts them in the same transaction."""

    users: UserRepository
    account_tokens: AccountTokenRepository
    login_events: LoginEventRepository
    recovery_codes: RecoveryCodeRepository
    api_keys: ApiKeyRepository
    social_identities: SocialIdentityRepository


class SessionStore(Protocol):
    """Server-side sign-in sessions, keyed by a hash of the cookie value.

    Not part of a unit of work: the database keeps them in embedded mode and Redis
    in production, and each call stands alone.
    """

    async def add(self, session: Session) -> None: ...

    async def get(self, token_hash: str) -> Session | None: ...

    async def touch(
        self, token_hash: str, *, last_seen_at: datetime, idle_expires_at: datetime
    ) -> None: ...

    async def mark_reauthenticated(self, token_hash: str, *, at: datetime) -> None: ...

    async def start_viewing(self, token_hash: str, *, user_id: UUID, until: datetime) -> None:
        """The session views the site as `user_id` until `until` (staff, read-only)."""
        ...

    async def stop_viewing(self, token_hash: str) -> bool:
        """End the session's view; whether one was on (two requests end it only once)."""
        ...

    async def delete(self, token_hash: str) -> None: ...

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        """The user's sessions, most recently seen first (expired ones may be included)."""
        ...

    async def delete_for_user(self, user_id: UUID, *, keep: str | None = None) -> int:
        """End every session of a user except the one whose hash is `keep`."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class SecretBox(Protocol):
    """Seals small secrets (TOTP seeds) for storage with a key from the settings.

    The sealing is authenticated: `decrypt` raises a DomainError (code
    `secret_unreadable`) for text that was altered or sealed with another key.
    """

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


class OpenIdProvider(Protocol):
    """One OpenID Connect provider, used with the authorization code flow and PKCE.

    `verified_claims` returns the ID token's claims only once its signature (against
    the provider's published keys), issuer, audience, expiry and nonce check out.
    Raises `AuthenticationFailed` (codes `oidc_*`) when the answer cannot be trusted
    and `ExternalServiceError` (category provider) when the provider cannot be reached.
    """

    name: str  # google, microsoft: the URL segment and `SocialIdentity.provider`
    label: str  # Google, Microsoft: what people read on the buttons

    async def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        """Where to send the browser: `response_type=code`, scope `openid email profile`,
        the state, the nonce and the S256 challenge of `code_verifier`."""
        ...

    async def verified_claims(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, object]:
        """Exchange the code at the token endpoint; the verified ID token's claims."""
        ...


class OneTimeKeys(Protocol):
    """Keys that may be used once (a sign-in state, a pending link), remembered until
    they expire: process memory in embedded mode, Redis in production."""

    async def use(self, key: str, *, ttl_seconds: int) -> bool:
        """True the first time; False for every later use within `ttl_seconds`."""
        ...
