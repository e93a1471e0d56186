"""Ports: what the use cases need from the outside world, as Protocols.

Each port has an embedded adapter (needs only `pip install`) and a production one;
`voiceqr.bootstrap` picks one from the settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, Self
from uuid import UUID

from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import Filing, Label, LabelUsage
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition
from voiceqr.domain.operations.failure_monitoring import AttemptCount
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import ErrorCategory
from voiceqr.domain.voices.voice import Voice


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """Audio produced by a speech provider."""

    audio: bytes
    content_type: str = "audio/mpeg"
    characters_billed: int = 0


class SpeechSynthesizer(Protocol):
    """Turns text into MP3 audio in a given voice.

    Raises `voiceqr.domain.errors.SpeechError` with a category (provider, quota,
    validation) and `retryable` set to whether trying later can succeed.
    """

    provider: str
    max_text_length: int

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult: ...


@dataclass(frozen=True, slots=True)
class AudioRange:
    """A slice of a stored object, as read for an HTTP Range request."""

    start: int
    end: int  # inclusive
    total: int
    chunks: AsyncIterator[bytes]


class AudioStorage(Protocol):
    """Stores audio objects under string keys. Raises `StorageError` on failure."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes:
        """The whole object; raises NotFound if absent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; absent objects are not an error."""
        ...

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        """Bytes `start..end` (inclusive; None = to the end), streamed in chunks.

        Raises NotFound if absent and ValidationError (code `range_not_satisfiable`)
        if `start` is past the end of the object.
        """
        ...

    async def url(self, key: str) -> str:
        """An address a browser can fetch the object from (relative or absolute)."""
        ...

    async def check(self) -> None:
        """Raise StorageError when the store cannot be reached (readiness)."""
        ...


@dataclass(frozen=True, slots=True)
class MailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Mailer(Protocol):
    """Delivers one message. Raises `ExternalServiceError` (retryable or not)."""

    async def send(self, message: MailMessage) -> None: ...


class QrRenderer(Protocol):
    """Draws a QR code for a piece of data."""

    def svg(self, data: str, *, size: int) -> bytes: ...

    def png(self, data: str, *, size: int) -> bytes: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


# --- persistence -------------------------------------------------------------------


class VoiceRepository(Protocol):
    async def add(self, voice: Voice) -> None: ...

    async def get(self, voice_id: UUID) -> Voice | None: ...

    async def update(self, voice: Voice) -> None: ...

    async def delete(self, voice_id: UUID) -> None: ...

    async def list(self, *, published_only: bool) -> list[Voice]:
        """Voices by display priority (highest first), then name."""
        ...

    async def count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class GenerationFilter:
    """Which of an owner's generations to list; every field left None matches all.

    The creation window is half-open: `created_from <= created_at < created_to`.
    """

    voice_id: UUID | None = None
    status: GenerationStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # G5: words that must each start a word of the text (see domain.organising.search_terms),
    # the folder it is in, and a tag it carries (by name, any case).
    text: str | None = None
    folder_id: UUID | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPosition:
    """Where a history page ended: the (created_at, id) of its last item.

    The next page holds what sorts strictly after it, newest first, so rows added
    meanwhile (always newer) never shift or repeat later pages.
    """

    created_at: datetime
    id: UUID


class GenerationRepository(Protocol):
    async def add(self, generation: Generation) -> None: ...

    async def get(self, generation_id: UUID) -> Generation | None:
        """Any generation; for the worker and sweeper, never for a user request."""
        ...

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        """The generation if `owner_id` owns it and it is not deleted; None otherwise."""
        ...

    async def get_by_code(self, public_code: str) -> Generation | None:
        """Deleted ones included: the playback page tells their visitors the audio is gone."""
        ...

    async def update(self, generation: Generation) -> None:
        """Save changes if nobody else saved since it was read (version check).

        Raises `Conflict` (code `stale_generation`) otherwise; bumps `version`.
        """
        ...

    async def list_owned(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> list[Generation]:
        """The owner's generations that are not deleted and match `matching`, newest
        first (by created_at, then id), starting after `after` when given."""
        ...

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Generation]:
        """Pending, due, not deleted, and not handed to the queue since `enqueued_before`."""
        ...

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Generation]:
        """Processing, not deleted, and the lease ran out by `now`."""
        ...

    async def mark_enqueued(self, generation_ids: Sequence[UUID], *, now: datetime | None) -> None:
        """Stamp pending rows as handed to the queue at `now` (None: not handed over)."""
        ...

    async def list_for_admin(
        self, *, status: GenerationStatus | None, category: ErrorCategory | None, limit: int
    ) -> list[Generation]:
        """Every owner's generations (not deleted), most recently updated first (F3)."""
        ...

    # --- folders and tags (G4): each acts on many generations, only on the owner's ---

    async def set_folder(
        self, owner_id: UUID, generation_ids: Sequence[UUID], folder_id: UUID | None
    ) -> int:
        """Put the owner's (not deleted) generations among `generation_ids` in the folder,
        or in none; ids of other owners are skipped. `folder_id` must be the owner's (the
        caller checks). Returns how many generations were the owner's."""
        ...

    async def add_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        """Tag the owner's (not deleted) generations; a tag carried already stays once.
        The tags must be the owner's (the caller checks)."""
        ...

    async def remove_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        """Take the tags off the owner's generations (absent ones are no error)."""
        ...

    async def filings(self, owner_id: UUID, generation_ids: Sequence[UUID]) -> dict[UUID, Filing]:
        """The folder and tags of each of the owner's generations, in two queries for a
        whole page; every id asked for has an entry (an empty one for unknown ids)."""
        ...


class LabelRepository(Protocol):
    """A user's folders, or a user's tags (G4): the same shape, one table each."""

    async def add(self, label: Label) -> None:
        """Raises `Conflict` (code `<kind>_name_taken`) when the owner has that name."""
        ...

    async def get_owned(self, label_id: UUID, owner_id: UUID) -> Label | None: ...

    async def find_named(self, owner_id: UUID, name_keys: Sequence[str]) -> list[Label]:
        """The owner's labels whose `name_key` is among `name_keys`."""
        ...

    async def rename(self, label: Label) -> None:
        """Save a new name; raises `Conflict` (code `<kind>_name_taken`) as `add` does."""
        ...

    async def delete(self, label_id: UUID, owner_id: UUID) -> bool:
        """Remove it (generations stay, without it); False when not the owner's."""
        ...

    async def list_for_owner(self, owner_id: UUID) -> list[LabelUsage]:
        """By name (case-insensitive), each with how many not deleted generations it holds."""
        ...


class GenerationAttemptRepository(Protocol):
    """The attempt history of generations (F2), written with each status change."""

    async def add(self, attempt: GenerationAttempt) -> None: ...

    async def update(self, attempt: GenerationAttempt) -> None: ...

    async def running(self, generation_id: UUID) -> GenerationAttempt | None:
        """The attempt that has not finished yet, if any."""
        ...

    async def list_for(self, generation_id: UUID) -> list[GenerationAttempt]:
        """Oldest first."""
        ...


class GenerationRevisionRepository(Protocol):
    """The revisions of generations (G3): what each edit asked for, and its audio."""

    async def add(self, revision: GenerationRevision) -> None:
        """Raises Conflict when the generation has a revision of that number already."""
        ...

    async def get(self, generation_id: UUID, number: int) -> GenerationRevision | None: ...

    async def update(self, revision: GenerationRevision) -> None: ...

    async def list_for(self, generation_id: UUID) -> list[GenerationRevision]:
        """Newest (highest number) first."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Raises `Conflict` (code `email_taken`) when the email is in use."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def advance_totp_step(self, user_id: UUID, step: int) -> bool:
        """Record a used TOTP step if it is later than the last one; False otherwise."""
        ...

    async def list_admins(self) -> list[User]:
        """Every administrator, active or not (the caller decides who gets mail)."""
        ...

    async def list(self) -> list[User]: ...


class RateLimiter(Protocol):
    """Counts hits per key in a fixed window (memory in embedded mode, Redis in production)."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        """Record one hit; False when `key` is over `limit` in the current window."""
        ...

    async def reset(self, key: str) -> None: ...


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

    async def delete(self, token_hash: str) -> None: ...

    async def list_for_user(self, user_id: UUID) -> list[Session]:
        """The user's sessions, most recently seen first (expired ones may be included)."""
        ...

    async def delete_for_user(self, user_id: UUID, *, keep: str | None = None) -> int:
        """End every session of a user except the one whose hash is `keep`."""
        ...


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

    async def list_for_user(self, user_id: UUID, *, limit: int) -> list[LoginEvent]:
        """Newest first."""
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


class MailOutbox(Protocol):
    """Mail written in the same transaction as the change that caused it (F5)."""

    async def add(self, message: OutboxMessage) -> None: ...

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]: ...

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        """Take a due message for sending (its next attempt moves to `until`); False when
        another sender took it first (its due time is no longer `seen_due_at`)."""
        ...

    async def update(self, message: OutboxMessage) -> None: ...

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        """Newest first."""
        ...


class PlaybackEventRepository(Protocol):
    """Scan and listen events (C5), appended cheaply on the hot path."""

    async def add(self, event: PlaybackEvent) -> None: ...

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]: ...


class PreferencesRepository(Protocol):
    """A user's generation preferences and draft (P7-P9), one row per user."""

    async def get(self, user_id: UUID) -> UserPreferences | None:
        """None when the user never saved any (the defaults apply)."""
        ...

    async def save(self, preferences: UserPreferences) -> None:
        """Insert or replace the user's row."""
        ...

    async def clear_draft(self, user_id: UUID) -> None:
        """Forget the draft (text, voice, time); the other preferences stay."""
        ...


class AuditLog(Protocol):
    """The audit log of admin actions (O11), appended in the transaction of the action."""

    async def add(self, event: AuditEvent) -> None: ...

    async def list(
        self,
        *,
        limit: int,
        action: str | None = None,
        actor: str | None = None,
        after: AuditPosition | None = None,
    ) -> list[AuditEvent]:
        """Newest first (by occurred_at, then id), starting after `after` when given.

        `action` matches that action or, as a prefix, every action under it
        (`generation` matches `generation.retry`); `actor` matches the actor label.
        """
        ...


class FailureStatistics(Protocol):
    """Counts over the attempt history (F6), grouped in the database."""

    async def attempt_counts(self, *, since: datetime, bucket: timedelta) -> list[AttemptCount]:
        """Attempts finished since `since`, counted per bucket (an hour, or a UTC day when
        `bucket` is a day or more, by its start), outcome and failure category."""
        ...

    async def failure_rate(self, *, since: datetime) -> tuple[int, int]:
        """(finished, failed) attempts since `since`; failed: any outcome but completed."""
        ...


class AlertStates(Protocol):
    """When each alert last fired, shared by every worker (several may check at once)."""

    async def fire(
        self, name: str, *, now: datetime, cooldown: timedelta, details: dict[str, object]
    ) -> bool:
        """Record that alert `name` fires at `now`, unless it fired less than `cooldown`
        ago; False then. A compare-and-set: of two workers that try at once, one wins."""
        ...

    async def last_fired(self, name: str) -> datetime | None: ...


class UnitOfWork(Protocol):
    """One transaction: rolls back on exit unless `commit()` was awaited."""

    voices: VoiceRepository
    generations: GenerationRepository
    generation_attempts: GenerationAttemptRepository
    generation_revisions: GenerationRevisionRepository
    users: UserRepository
    playback_events: PlaybackEventRepository
    account_tokens: AccountTokenRepository
    login_events: LoginEventRepository
    recovery_codes: RecoveryCodeRepository
    api_keys: ApiKeyRepository
    social_identities: SocialIdentityRepository
    outbox: MailOutbox
    preferences: PreferencesRepository
    folders: LabelRepository
    tags: LabelRepository
    audit: AuditLog
    failure_stats: FailureStatistics
    alerts: AlertStates

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...

    async def check(self) -> None:
        """Raise when the database cannot be reached (readiness)."""
        ...


class SecretBox(Protocol):
    """Seals small secrets (TOTP seeds) for storage with a key from the settings.

    The sealing is authenticated: `decrypt` raises a DomainError (code
    `secret_unreadable`) for text that was altered or sealed with another key.
    """

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, ciphertext: str) -> str: ...


# --- sign-in with Google and Microsoft (A5) ----------------------------------------


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


class CountryLookup(Protocol):
    """Where an address is, as an ISO 3166 country code ("" when unknown or private)."""

    def country(self, ip: str) -> str: ...
