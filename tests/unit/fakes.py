"""In-memory fakes for every port in `voiceqr.application.shared.ports`, and services wired to them.

The fakes keep persistence semantics so the use cases are tested as they run in
production: objects are copied on the way in and out (a caller never holds the
stored object), a unit of work applies its writes only when committed, and the
generation repository does the same version compare-and-set as the SQL one.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from voiceqr.application.accounts.accounts import AccountPolicy, Accounts
from voiceqr.application.generations.failures import GenerationFailures
from voiceqr.application.generations.generations import PROCESS_GENERATION, Generations
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.revisions import GenerationRevisions
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.playback.playback import Playback
from voiceqr.application.shared import ports
from voiceqr.application.shared.jobs import Jobs
from voiceqr.application.shared.ports import AudioRange, MailMessage, SpeechResult
from voiceqr.application.voices.gallery import VoiceGallery
from voiceqr.domain.accounts.activity import LoginEvent
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.social import SocialIdentity
from voiceqr.domain.accounts.tokens import AccountToken, TokenPurpose
from voiceqr.domain.accounts.two_factor import RecoveryCode
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus, RetryPolicy
from voiceqr.domain.generations.organising import (
    Filing,
    Label,
    LabelKind,
    LabelUsage,
    matches_search,
    name_key,
    search_terms,
)
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.operations.audit import AuditEvent, AuditPosition
from voiceqr.domain.operations.failure_monitoring import AlertPolicy, AttemptCount, floor_to
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.profile.preferences import UserPreferences
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    StorageError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PUBLIC_BASE_URL = "https://voiceqr.test"


# --- clock -----------------------------------------------------------------------------


class FakeClock:
    """A clock that only moves when told to; returns timezone-aware UTC datetimes."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords: minutes=, hours=, ...)."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("time does not go backwards")
        self.now += step
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment.astimezone(UTC)


# --- the database and its unit of work ------------------------------------------------


@dataclass
class FakeDatabase:
    """The committed state, one dict (or list) per table."""

    voices: dict[UUID, Voice] = field(default_factory=dict)
    generations: dict[UUID, Generation] = field(default_factory=dict)
    generation_attempts: dict[UUID, GenerationAttempt] = field(default_factory=dict)
    generation_revisions: dict[UUID, GenerationRevision] = field(default_factory=dict)
    users: dict[UUID, User] = field(default_factory=dict)
    playback_events: list[PlaybackEvent] = field(default_factory=list)
    account_tokens: dict[UUID, AccountToken] = field(default_factory=dict)
    login_events: list[LoginEvent] = field(default_factory=list)
    recovery_codes: dict[UUID, RecoveryCode] = field(default_factory=dict)
    api_keys: dict[UUID, ApiKey] = field(default_factory=dict)
    social_identities: dict[UUID, SocialIdentity] = field(default_factory=dict)
    outbox: dict[UUID, OutboxMessage] = field(default_factory=dict)
    preferences: dict[UUID, UserPreferences] = field(default_factory=dict)
    audit_events: list[AuditEvent] = field(default_factory=list)
    alert_states: dict[str, tuple[datetime, dict[str, object]]] = field(default_factory=dict)
    folders: dict[UUID, Label] = field(default_factory=dict)
    tags: dict[UUID, Label] = field(default_factory=dict)
    generation_folders: dict[UUID, UUID] = field(default_factory=dict)  # generation -> folder
    generation_tags: set[tuple[UUID, UUID]] = field(default_factory=set)  # (generation, tag)

    def snapshot(self) -> FakeDatabase:
        return copy.deepcopy(self)

    def restore(self, snapshot: FakeDatabase) -> None:
        self.voices = copy.deepcopy(snapshot.voices)
        self.generations = copy.deepcopy(snapshot.generations)
        self.generation_attempts = copy.deepcopy(snapshot.generation_attempts)
        self.generation_revisions = copy.deepcopy(snapshot.generation_revisions)
        self.users = copy.deepcopy(snapshot.users)
        self.playback_events = copy.deepcopy(snapshot.playback_events)
        self.account_tokens = copy.deepcopy(snapshot.account_tokens)
        self.login_events = copy.deepcopy(snapshot.login_events)
        self.recovery_codes = copy.deepcopy(snapshot.recovery_codes)
        self.api_keys = copy.deepcopy(snapshot.api_keys)
        self.social_identities = copy.deepcopy(snapshot.social_identities)
        self.outbox = copy.deepcopy(snapshot.outbox)
        self.preferences = copy.deepcopy(snapshot.preferences)
        self.audit_events = copy.deepcopy(snapshot.audit_events)
        self.alert_states = copy.deepcopy(snapshot.alert_states)
        self.folders = copy.deepcopy(snapshot.folders)
        self.tags = copy.deepcopy(snapshot.tags)
        self.generation_folders = copy.deepcopy(snapshot.generation_folders)
        self.generation_tags = copy.deepcopy(snapshot.generation_tags)

    # Direct access for arranging and asserting in tests (outside any unit of work).

    def generation(self, generation_id: UUID) -> Generation:
        return copy.deepcopy(self.generations[generation_id])

    def put_voice(self, voice: Voice) -> Voice:
        self.voices[voice.id] = copy.deepcopy(voice)
        return voice

    def put_user(self, user: User) -> User:
        self.users[user.id] = copy.deepcopy(user)
        return user


class _Table:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _db(self) -> FakeDatabase:
        return self._uow.database_in_use()

    def _wrote(self) -> None:
        self._uow.wrote()


class FakeVoices(_Table):
    async def add(self, voice: Voice) -> None:
        if voice.id in self._db.voices:
            raise Conflict("duplicate voice id", code="duplicate_key")
        self._db.voices[voice.id] = copy.deepcopy(voice)
        self._wrote()

    async def get(self, voice_id: UUID) -> Voice | None:
        return copy.deepcopy(self._db.voices.get(voice_id))

    async def update(self, voice: Voice) -> None:
        stored = self._db.voices.get(voice.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        updated = copy.deepcopy(voice)
        updated.created_at = stored.created_at
        self._db.voices[voice.id] = updated
        self._wrote()

    async def delete(self, voice_id: UUID) -> None:
        if self._db.voices.pop(voice_id, None) is not None:
            self._wrote()

    async def list(self, *, published_only: bool) -> list[Voice]:
        voices = [v for v in self._db.voices.values() if v.published or not published_only]
        voices.sort(key=lambda v: (-v.priority, v.name))
        return copy.deepcopy(voices)

    async def count(self) -> int:
        return len(self._db.voices)


_FIXED_GENERATION_FIELDS = ("id", "owner_id", "public_code", "created_at")


class FakeGenerations(_Table):
    async def add(self, generation: Generation) -> None:
        taken = {g.public_code for g in self._db.generations.values()}
        if generation.id in self._db.generations or generation.public_code in taken:
            raise Conflict("duplicate generation", code="duplicate_key")
        self._db.generations[generation.id] = copy.deepcopy(generation)
        self._wrote()

    async def get(self, generation_id: UUID) -> Generation | None:
        return copy.deepcopy(self._db.generations.get(generation_id))

    async def get_owned(self, generation_id: UUID, owner_id: UUID) -> Generation | None:
        stored = self._db.generations.get(generation_id)
        if stored is None or stored.owner_id != owner_id or stored.is_deleted:
            return None
        return copy.deepcopy(stored)

    async def get_by_code(self, public_code: str) -> Generation | None:
        for stored in self._db.generations.values():
            if stored.public_code == public_code:
                return copy.deepcopy(stored)
        return None

    async def update(self, generation: Generation) -> None:
        """Compare-and-set on `version`, like `UPDATE ... WHERE id = ? AND version = ?`."""
        stored = self._db.generations.get(generation.id)
        if stored is None or stored.version != generation.version:
            raise Conflict("The generation changed meanwhile.", code="stale_generation")
        updated = copy.deepcopy(generation)
        for name in _FIXED_GENERATION_FIELDS:  # the SQL update never writes these columns
            setattr(updated, name, getattr(stored, name))
        updated.version = generation.version + 1
        self._db.generations[generation.id] = updated
        generation.version += 1
        self._wrote()

    async def list_owned(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: ports.GenerationFilter | None = None,
        after: ports.HistoryPosition | None = None,
    ) -> list[Generation]:
        f = matching or ports.GenerationFilter()
        terms = search_terms(f.text) if f.text else ()
        tagged = None
        if f.tag is not None:
            key = name_key(f.tag.strip())
            tags = {t.id for t in self._db.tags.values() if t.owner_id == owner_id}
            tags = {tid for tid in tags if self._db.tags[tid].name_key == key}
            tagged = {gid for gid, tid in self._db.generation_tags if tid in tags}
        owned = [
            g
            for g in self._db.generations.values()
            if g.owner_id == owner_id
            and not g.is_deleted
            and (f.voice_id is None or g.voice_id == f.voice_id)
            and (f.status is None or g.status is f.status)
            and (f.created_from is None or g.created_at >= f.created_from)
            and (f.created_to is None or g.created_at < f.created_to)
            and (not terms or matches_search(g.text, terms))
            and (f.folder_id is None or self._db.generation_folders.get(g.id) == f.folder_id)
            and (tagged is None or g.id in tagged)
            and (after is None or (g.created_at, g.id) < (after.created_at, after.id))
        ]
        owned.sort(key=lambda g: (g.created_at, g.id), reverse=True)
        return copy.deepcopy(owned[:limit])

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Generation]:
        due = [
            g
            for g in self._db.generations.values()
            if g.status is GenerationStatus.PENDING
            and not g.is_deleted
            and (g.next_attempt_at is None or g.next_attempt_at <= now)
            and (g.enqueued_at is None or g.enqueued_at < enqueued_before)
        ]
        due.sort(key=lambda g: (g.next_attempt_at is not None, g.next_attempt_at or now))
        return copy.deepcopy(due[:limit])

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Generation]:
        expired = [
            g
            for g in self._db.generations.values()
            if g.status is GenerationStatus.PROCESSING
            and not g.is_deleted
            and g.lease_expires_at is not None
            and g.lease_expires_at <= now
        ]
        expired.sort(key=lambda g: g.lease_expires_at or now)
        return copy.deepcopy(expired[:limit])

    async def mark_enqueued(self, generation_ids: Sequence[UUID], *, now: datetime | None) -> None:
        # Like the SQL: only pending rows, and the version is not bumped.
        for generation_id in generation_ids:
            stored = self._db.generations.get(generation_id)
            if stored is not None and stored.status is GenerationStatus.PENDING:
                stored.enqueued_at = now
                self._wrote()

    async def list_for_admin(
        self, *, status: GenerationStatus | None, category: ErrorCategory | None, limit: int
    ) -> list[Generation]:
        found = [
            g
            for g in self._db.generations.values()
            if not g.is_deleted
            and (status is None or g.status is status)
            and (category is None or g.error_category is category)
        ]
        found.sort(key=lambda g: (g.updated_at or g.created_at, g.id), reverse=True)
        return copy.deepcopy(found[:limit])

    # --- folders and tags (G4), like GenerationFiling in SQL ---

    def _owned(self, owner_id: UUID, generation_ids: Sequence[UUID]) -> list[UUID]:
        found = (self._db.generations.get(gid) for gid in dict.fromkeys(generation_ids))
        return [g.id for g in found if g and g.owner_id == owner_id and not g.is_deleted]

    async def set_folder(
        self, owner_id: UUID, generation_ids: Sequence[UUID], folder_id: UUID | None
    ) -> int:
        owned = self._owned(owner_id, generation_ids)
        for gid in owned:
            if folder_id is None:
                self._db.generation_folders.pop(gid, None)
            else:
                self._db.generation_folders[gid] = folder_id
        if owned:
            self._wrote()
        return len(owned)

    async def add_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        for gid in self._owned(owner_id, generation_ids):
            for tid in tag_ids:
                self._db.generation_tags.add((gid, tid))
                self._wrote()

    async def remove_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        for gid in self._owned(owner_id, generation_ids):
            for tid in tag_ids:
                if (gid, tid) in self._db.generation_tags:
                    self._db.generation_tags.discard((gid, tid))
                    self._wrote()

    async def filings(self, owner_id: UUID, generation_ids: Sequence[UUID]) -> dict[UUID, Filing]:
        found = {}
        for gid in generation_ids:
            folder_id = self._db.generation_folders.get(gid)
            folder = None if folder_id is None else self._db.folders.get(folder_id)
            tags = [
                self._db.tags[tid]
                for g, tid in self._db.generation_tags
                if g == gid and self._db.tags[tid].owner_id == owner_id
            ]
            tags.sort(key=lambda t: t.name_key)
            found[gid] = Filing(
                folder=copy.deepcopy(folder) if folder and folder.owner_id == owner_id else None,
                tags=copy.deepcopy(tags),
            )
        return found


class FakeGenerationRevisions(_Table):
    async def add(self, revision: GenerationRevision) -> None:
        if revision.id in self._db.generation_revisions or any(
            r.generation_id == revision.generation_id and r.number == revision.number
            for r in self._db.generation_revisions.values()
        ):
            raise Conflict("duplicate revision", code="duplicate_revision")
        self._db.generation_revisions[revision.id] = copy.deepcopy(revision)
        self._wrote()

    async def get(self, generation_id: UUID, number: int) -> GenerationRevision | None:
        for revision in self._db.generation_revisions.values():
            if revision.generation_id == generation_id and revision.number == number:
                return copy.deepcopy(revision)
        return None

    async def update(self, revision: GenerationRevision) -> None:
        stored = self._db.generation_revisions.get(revision.id)
        if stored is None:
            return  # an UPDATE that matches no row changes nothing
        updated = copy.deepcopy(revision)
        updated.generation_id, updated.number = stored.generation_id, stored.number
        updated.created_at = stored.created_at
        self._db.generation_revisions[revision.id] = updated
        self._wrote()

    async def list_for(self, generation_id: UUID) -> list[GenerationRevision]:
        found = [
            r for r in self._db.generation_revisions.values() if r.generation_id == generation_id
        ]
        return copy.deepcopy(sorted(found, key=lambda r: -r.number))


class FakeLabels(_Table):
    """A user's folders or tags; deleting one unfiles its generations, as the SQL
    foreign keys (ON DELETE CASCADE on the link tables) do."""

    def __init__(self, uow: FakeUnitOfWork, kind: LabelKind) -> None:
        super().__init__(uow)
        self._kind = kind

    def _labels(self) -> dict[UUID, Label]:
        return self._db.folders if self._kind is LabelKind.FOLDER else self._db.tags

    def _check_free(self, label: Label) -> None:
        for other in self._labels().values():
            if (
                other.owner_id == label.owner_id
                and other.name_key == label.name_key
                and other.id != label.id
            ):
                raise Conflict("name taken", code=f"{self._kind}_name_taken")

    async def add(self, label: Label) -> None:
        self._check_free(label)
        self._labels()[label.id] = copy.deepcopy(label)
        self._wrote()

    async def get_owned(self, label_id: UUID, owner_id: UUID) -> Label | None:
        found = self._labels().get(label_id)
        return copy.deepcopy(found) if found and found.owner_id == owner_id else None

    async def find_named(self, owner_id: UUID, name_keys: Sequence[str]) -> list[Label]:
        keys = set(name_keys)
        return copy.deepcopy(
            [x for x in self._labels().values() if x.owner_id == owner_id and x.name_key in keys]
        )

    async def rename(self, label: Label) -> None:
        stored = self._labels().get(label.id)
        if stored is not None and stored.owner_id == label.owner_id:
            self._check_free(label)
            stored.name = label.name
            self._wrote()

    async def delete(self, label_id: UUID, owner_id: UUID) -> bool:
        stored = self._labels().get(label_id)
        if stored is None or stored.owner_id != owner_id:
            return False
        del self._labels()[label_id]
        db = self._db
        if self._kind is LabelKind.FOLDER:
            db.generation_folders = {
                g: f for g, f in db.generation_folders.items() if f != label_id
            }
        else:
            db.generation_tags = {(g, t) for g, t in db.generation_tags if t != label_id}
        self._wrote()
        return True

    async def list_for_owner(self, owner_id: UUID) -> list[LabelUsage]:
        db = self._db
        live = {gid for gid, g in db.generations.items() if not g.is_deleted}
        if self._kind is LabelKind.FOLDER:
            pairs = [(g, f) for g, f in db.generation_folders.items() if g in live]
        else:
            pairs = [(g, t) for g, t in db.generation_tags if g in live]
        mine = sorted(
            (x for x in self._labels().values() if x.owner_id == owner_id),
            key=lambda x: x.name_key,
        )
        return [
            LabelUsage(copy.deepcopy(x), sum(1 for _, lid in pairs if lid == x.id)) for x in mine
        ]


class FakeGenerationAttempts(_Table):
    async def add(self, attempt: GenerationAttempt) -> None:
        if any(
            a.generation_id == attempt.generation_id and a.number == attempt.number
            for a in self._db.generation_attempts.values()
        ):
            raise Conflict("duplicate attempt number", code="duplicate_key")
        self._db.generation_attempts[attempt.id] = copy.deepcopy(attempt)
        self._wrote()

    async def update(self, attempt: GenerationAttempt) -> None:
        if attempt.id in self._db.generation_attempts:
            self._db.generation_attempts[attempt.id] = copy.deepcopy(attempt)
            self._wrote()

    async def running(self, generation_id: UUID) -> GenerationAttempt | None:
        open_ = [a for a in await self.list_for(generation_id) if a.is_running]
        return open_[-1] if open_ else None

    async def list_for(self, generation_id: UUID) -> list[GenerationAttempt]:
        mine = [
            a for a in self._db.generation_attempts.values() if a.generation_id == generation_id
        ]
        return copy.deepcopy(sorted(mine, key=lambda a: a.number))


class FakeUsers(_Table):
    async def add(self, user: User) -> None:
        if any(u.email == user.email for u in self._db.users.values()):
            raise Conflict(f"{user.email} already has an account.", code="email_taken")
        if user.id in self._db.users:
            raise Conflict("duplicate user id", code="duplicate_key")
        self._db.users[user.id] = copy.deepcopy(user)
        self._wrote()

    async def get(self, user_id: UUID) -> User | None:
        return copy.deepcopy(self._db.users.get(user_id))

    async def get_by_email(self, email: str) -> User | None:
        for user in self._db.users.values():
            if user.email == email:
                return copy.deepcopy(user)
        return None

    async def update(self, user: User) -> None:
        stored = self._db.users.get(user.id)
        if stored is None:
            return
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


class FakeAccountTokens(_Table):
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


class FakeLoginEvents(_Table):
    async def add(self, event: LoginEvent) -> None:
        self._db.login_events.append(copy.deepcopy(event))
        self._wrote()

    async def count_failures(self, *, user_id: UUID, since: datetime) -> int:
        return sum(
            1
            for e in self._db.login_events
            if e.user_id == user_id and not e.success and e.occurred_at >= since
        )

    async def list_for_user(self, user_id: UUID, *, limit: int) -> list[LoginEvent]:
        mine = [e for e in self._db.login_events if e.user_id == user_id]
        mine.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return copy.deepcopy(mine[:limit])

    async def delete_before(self, cutoff: datetime) -> int:
        before = len(self._db.login_events)
        self._db.login_events = [e for e in self._db.login_events if e.occurred_at >= cutoff]
        if len(self._db.login_events) != before:
            self._wrote()
        return before - len(self._db.login_events)


class FakeRecoveryCodes(_Table):
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


class FakeApiKeys(_Table):
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


class FakeSocialIdentities(_Table):
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


class FakeMailOutbox(_Table):
    async def add(self, message: OutboxMessage) -> None:
        self._db.outbox[message.id] = copy.deepcopy(message)
        self._wrote()

    async def due(self, *, now: datetime, limit: int) -> list[OutboxMessage]:
        due = [
            m
            for m in self._db.outbox.values()
            if m.status is OutboxStatus.PENDING and m.next_attempt_at <= now
        ]
        return copy.deepcopy(sorted(due, key=lambda m: m.next_attempt_at)[:limit])

    async def claim(self, message_id: UUID, *, seen_due_at: datetime, until: datetime) -> bool:
        stored = self._db.outbox.get(message_id)
        if (
            stored is None
            or stored.status is not OutboxStatus.PENDING
            or stored.next_attempt_at != seen_due_at
        ):
            return False
        stored.next_attempt_at = until
        self._wrote()
        return True

    async def update(self, message: OutboxMessage) -> None:
        if message.id in self._db.outbox:
            self._db.outbox[message.id] = copy.deepcopy(message)
            self._wrote()

    async def list(self, *, status: OutboxStatus | None, limit: int) -> list[OutboxMessage]:
        found = [m for m in self._db.outbox.values() if status is None or m.status is status]
        return copy.deepcopy(
            sorted(found, key=lambda m: (m.created_at, m.id), reverse=True)[:limit]
        )


class FakePreferences(_Table):
    async def get(self, user_id: UUID) -> UserPreferences | None:
        return copy.deepcopy(self._db.preferences.get(user_id))

    async def save(self, preferences: UserPreferences) -> None:
        self._db.preferences[preferences.user_id] = copy.deepcopy(preferences)
        self._wrote()

    async def clear_draft(self, user_id: UUID) -> None:
        stored = self._db.preferences.get(user_id)
        if stored is not None and stored.has_draft:
            self._db.preferences[user_id] = stored.without_draft()
            self._wrote()


class FakeAuditLog(_Table):
    async def add(self, event: AuditEvent) -> None:
        self._db.audit_events.append(copy.deepcopy(event))
        self._wrote()

    async def list(
        self,
        *,
        limit: int,
        action: str | None = None,
        actor: str | None = None,
        after: AuditPosition | None = None,
    ) -> list[AuditEvent]:
        found = [
            e
            for e in self._db.audit_events
            if (action is None or e.action == action or e.action.startswith(action + "."))
            and (actor is None or e.actor == actor)
            and (after is None or (e.occurred_at, e.id) < (after.occurred_at, after.id))
        ]
        found.sort(key=lambda e: (e.occurred_at, e.id), reverse=True)
        return copy.deepcopy(found[:limit])


class FakeFailureStatistics(_Table):
    """Groups the fake attempt history the way the SQL adapter groups in the database."""

    def _finished(self, since: datetime) -> list[GenerationAttempt]:
        return [
            a
            for a in self._db.generation_attempts.values()
            if a.outcome is not None and a.finished_at is not None and a.finished_at >= since
        ]

    async def attempt_counts(self, *, since: datetime, bucket: timedelta) -> list[AttemptCount]:
        step = timedelta(days=1) if bucket >= timedelta(days=1) else timedelta(hours=1)
        counts: dict[tuple[datetime, str, str | None], int] = {}
        for a in self._finished(since):
            assert a.finished_at is not None
            key = (
                floor_to(a.finished_at, step),
                str(a.outcome),
                None if a.error_category is None else str(a.error_category),
            )
            counts[key] = counts.get(key, 0) + 1
        return [
            AttemptCount(b, outcome, category, n) for (b, outcome, category), n in counts.items()
        ]

    async def failure_rate(self, *, since: datetime) -> tuple[int, int]:
        finished = self._finished(since)
        failed = [a for a in finished if a.outcome is not AttemptOutcome.COMPLETED]
        return len(finished), len(failed)


class FakeAlertStates(_Table):
    async def fire(
        self, name: str, *, now: datetime, cooldown: timedelta, details: dict[str, object]
    ) -> bool:
        last = self._db.alert_states.get(name)
        if last is not None and last[0] > now - cooldown:
            return False
        self._db.alert_states[name] = (now, copy.deepcopy(details))
        self._wrote()
        return True

    async def last_fired(self, name: str) -> datetime | None:
        last = self._db.alert_states.get(name)
        return None if last is None else last[0]


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


class FakeRateLimiter:
    """Counts hits per key; `limit_all` makes every key over its limit."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.limit_all = False

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        self.hits[key] = self.hits.get(key, 0) + 1
        return not self.limit_all and self.hits[key] <= limit

    async def reset(self, key: str) -> None:
        self.hits.pop(key, None)


class FakePlaybackEvents(_Table):
    async def add(self, event: PlaybackEvent) -> None:
        self._db.playback_events.append(copy.deepcopy(event))
        self._wrote()

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        result: dict[UUID, PlaybackCounts] = {}
        for generation_id in generation_ids:
            kinds = [e.kind for e in self._db.playback_events if e.generation_id == generation_id]
            result[generation_id] = PlaybackCounts(
                scans=kinds.count(PlaybackEventKind.SCAN),
                listens=kinds.count(PlaybackEventKind.LISTEN),
            )
        return result


class FakeUnitOfWork:
    """One transaction on a FakeDatabase: writes not followed by `commit()` are undone on exit.

    Writes go to the shared database at once (so compare-and-set sees other units of
    work), and a snapshot taken on enter (and at each commit) is restored on exit if
    anything was written since. Units of work are meant to run one after another.
    """

    def __init__(self, factory: FakeUnitOfWorkFactory) -> None:
        self._factory = factory
        self._db = factory.database
        self._snapshot: FakeDatabase | None = None
        self._dirty = False
        self._active = False
        self.voices: ports.VoiceRepository = FakeVoices(self)
        self.generations: ports.GenerationRepository = FakeGenerations(self)
        self.generation_attempts: ports.GenerationAttemptRepository = FakeGenerationAttempts(self)
        self.generation_revisions: ports.GenerationRevisionRepository = FakeGenerationRevisions(
            self
        )
        self.users: ports.UserRepository = FakeUsers(self)
        self.playback_events: ports.PlaybackEventRepository = FakePlaybackEvents(self)
        self.account_tokens: ports.AccountTokenRepository = FakeAccountTokens(self)
        self.login_events: ports.LoginEventRepository = FakeLoginEvents(self)
        self.recovery_codes: ports.RecoveryCodeRepository = FakeRecoveryCodes(self)
        self.api_keys: ports.ApiKeyRepository = FakeApiKeys(self)
        self.social_identities: ports.SocialIdentityRepository = FakeSocialIdentities(self)
        self.outbox: ports.MailOutbox = FakeMailOutbox(self)
        self.preferences: ports.PreferencesRepository = FakePreferences(self)
        self.audit: ports.AuditLog = FakeAuditLog(self)
        self.failure_stats: ports.FailureStatistics = FakeFailureStatistics(self)
        self.alerts: ports.AlertStates = FakeAlertStates(self)
        self.folders: ports.LabelRepository = FakeLabels(self, LabelKind.FOLDER)
        self.tags: ports.LabelRepository = FakeLabels(self, LabelKind.TAG)

    def database_in_use(self) -> FakeDatabase:
        if not self._active:
            raise RuntimeError("repository used outside `async with uow:`")
        return self._db

    def wrote(self) -> None:
        self._dirty = True

    async def __aenter__(self) -> Self:
        if self._active:
            raise RuntimeError("a unit of work is not re-entrant")
        self._active = True
        self._dirty = False
        self._snapshot = self._db.snapshot()
        self._factory.opened += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._dirty and self._snapshot is not None:
            self._db.restore(self._snapshot)
            self._factory.rollbacks += 1
        self._active = False
        self._dirty = False
        self._snapshot = None

    async def commit(self) -> None:
        if not self._active:
            raise RuntimeError("commit outside `async with uow:`")
        if self._factory.fail_commits:
            self._factory.fail_commits -= 1
            raise ConnectionError("the database went away")
        self._snapshot = self._db.snapshot()
        self._dirty = False
        self._factory.commits += 1


class FakeUnitOfWorkFactory:
    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database if database is not None else FakeDatabase()
        self.down = False
        self.fail_commits = 0  # how many next commits raise ConnectionError
        self.opened = 0
        self.commits = 0
        self.rollbacks = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    async def check(self) -> None:
        if self.down:
            raise ConnectionError("the database cannot be reached")


# --- outside services ------------------------------------------------------------------

SpeechStep = SpeechResult | bytes | BaseException


@dataclass(frozen=True, slots=True)
class SpeechCall:
    text: str
    voice_id: UUID
    provider_voice_id: str


class FakeSpeech:
    """A scriptable synthesizer.

    `script` is a queue of steps, one per call: a SpeechResult or bytes to return, or
    an exception to raise. Once it is empty every call returns `default_audio(text)`.
    `on_call` (sync or async) runs at the start of every call, before the step.
    """

    def __init__(
        self,
        provider: str = "espeak",
        *,
        max_text_length: int = 5000,
        script: Iterable[SpeechStep] = (),
        on_call: Callable[[SpeechCall], Awaitable[None] | None] | None = None,
    ) -> None:
        self.provider = provider
        self.max_text_length = max_text_length
        self.script: deque[SpeechStep] = deque(script)
        self.on_call = on_call
        self.calls: list[SpeechCall] = []

    def then(self, *steps: SpeechStep) -> Self:
        self.script.extend(steps)
        return self

    @staticmethod
    def default_audio(text: str) -> bytes:
        return b"ID3\x04fake-mp3:" + text.encode()

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        call = SpeechCall(text=text, voice_id=voice.id, provider_voice_id=voice.provider_voice_id)
        self.calls.append(call)
        if self.on_call is not None:
            result = self.on_call(call)
            if result is not None:
                await result
        step: SpeechStep = (
            self.script.popleft() if self.script else SpeechResult(self.default_audio(text))
        )
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, bytes):
            return SpeechResult(step, characters_billed=len(text))
        return step


@dataclass(frozen=True, slots=True)
class StoredObject:
    data: bytes
    content_type: str


class FakeStorage:
    """A dict-backed audio store. `fail_puts` makes the next puts raise `put_error`."""

    def __init__(self, *, url_prefix: str = "/media") -> None:
        self.objects: dict[str, StoredObject] = {}
        self.url_prefix = url_prefix
        self.fail_puts = 0
        self.put_error: Exception = _storage_down()
        self.down = False
        self.puts: list[str] = []
        self.deletes: list[str] = []

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts.append(key)
        if self.fail_puts:
            self.fail_puts -= 1
            raise self.put_error
        self.objects[key] = StoredObject(bytes(data), content_type)

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound("This audio does not exist.", detail=key)
        return self.objects[key].data

    async def delete(self, key: str) -> None:
        self.deletes.append(key)
        self.objects.pop(key, None)

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        data = await self.get(key)
        if start < 0 or start >= len(data) or (end is not None and end < start):
            raise ValidationError(
                "The requested range is not satisfiable.", code="range_not_satisfiable"
            )
        last = len(data) - 1 if end is None else min(end, len(data) - 1)

        async def chunks() -> AsyncIterator[bytes]:
            for offset in range(start, last + 1, 4):
                yield data[offset : min(offset + 4, last + 1)]

        return AudioRange(start=start, end=last, total=len(data), chunks=chunks())

    async def url(self, key: str) -> str:
        return f"{self.url_prefix}/{key}"

    async def check(self) -> None:
        if self.down:
            raise _storage_down()


def _storage_down() -> StorageError:
    return StorageError("The audio could not be saved.", detail="fake storage is failing")


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.error: Exception | None = None

    async def send(self, message: MailMessage) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)


class FakeQr:
    def __init__(self) -> None:
        self.drawn: list[tuple[str, str, int]] = []

    def svg(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("svg", data, size))
        return f'<svg xmlns="http://www.w3.org/2000/svg" data-qr="{data}" size="{size}"/>'.encode()

    def png(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("png", data, size))
        return b"\x89PNG\r\n\x1a\n" + f"{size}:{data}".encode()


class FakeQueue:
    """Records the jobs it was handed; `down = True` simulates the broker being unreachable."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[str, ...]]] = []
        self.down = False

    async def enqueue(self, task: str, *ids: str) -> None:
        if self.down:
            raise ConnectionError("the broker cannot be reached")
        self.jobs.append((task, ids))

    @property
    def enqueued(self) -> list[UUID]:
        """The generations handed over since the last take."""
        return [UUID(ids[0]) for task, ids in self.jobs if task == PROCESS_GENERATION]

    def take(self) -> list[UUID]:
        """The generations handed over since the last take (what a worker would receive)."""
        taken, self.jobs = self.enqueued, []
        return taken


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


# --- services wired to the fakes -------------------------------------------------------


@dataclass
class Services:
    uow: FakeUnitOfWorkFactory
    db: FakeDatabase
    clock: FakeClock
    queue: FakeQueue
    speech: dict[str, FakeSpeech]
    storage: FakeStorage
    hasher: FakeHasher
    mailer: FakeMailer
    qr: FakeQr
    retry_policy: RetryPolicy
    lease: timedelta
    requeue_after: timedelta
    generations: Generations
    generation_failures: GenerationFailures
    generation_revisions: GenerationRevisions
    folders: FoldersAndTags
    voices: VoiceGallery
    accounts: Accounts
    playback: Playback
    sessions: FakeSessionStore
    limits: FakeRateLimiter
    failure_monitor: FailureMonitor
    audit: AuditTrail

    def add_user(
        self,
        email: str = "ann@example.com",
        *,
        password: str = "correct horse battery",
        role: Role = Role.USER,
        name: str = "",
        verified: bool = True,
    ) -> User:
        user = User(
            id=uuid7(),
            email=email,
            name=name or email.split("@")[0],
            password_hash=self.hasher.make(password),
            role=role,
            created_at=self.clock(),
            email_verified_at=self.clock() if verified else None,
        )
        return self.db.put_user(user)

    def add_voice(
        self,
        name: str = "Alex",
        *,
        provider: str = "espeak",
        provider_voice_id: str = "en-us",
        published: bool = True,
        priority: int = 0,
        samples: Sequence[VoiceSample] = (),
        **details: Any,
    ) -> Voice:
        voice = Voice(
            id=uuid7(),
            name=name,
            provider=provider,
            provider_voice_id=provider_voice_id,
            published=published,
            priority=priority,
            samples=list(samples),
            created_at=self.clock(),
            updated_at=self.clock(),
            **details,
        )
        return self.db.put_voice(voice)


def make_services(
    *,
    speech: Mapping[str, FakeSpeech] | Iterable[FakeSpeech] | None = None,
    clock: FakeClock | None = None,
    retry_policy: RetryPolicy | None = None,
    lease: timedelta = timedelta(seconds=300),
    requeue_after: timedelta = timedelta(seconds=60),
    session_idle: timedelta = timedelta(minutes=120),
    session_absolute: timedelta = timedelta(hours=12),
) -> Services:
    """Generations, VoiceGallery, Accounts and Playback on fakes, wired like `bootstrap.build`.

    The defaults are those of `voiceqr.settings` (5 attempts, 30 s backoff base,
    5 min lease, 60 s requeue, 2 h idle and 12 h absolute sessions) and one
    `espeak` synthesizer.
    """
    if speech is None:
        synthesizers = {"espeak": FakeSpeech("espeak")}
    elif isinstance(speech, Mapping):
        synthesizers = dict(speech)
    else:
        synthesizers = {s.provider: s for s in speech}
    clock = clock or FakeClock()
    policy = retry_policy or RetryPolicy(max_attempts=5, base_seconds=30.0)
    uow = FakeUnitOfWorkFactory()
    queue = FakeQueue()
    storage = FakeStorage()
    hasher = FakeHasher()
    sessions = FakeSessionStore()
    limits = FakeRateLimiter()
    notifications = Notifications(public_base_url=PUBLIC_BASE_URL, clock=clock)
    generations = Generations(
        uow=uow,
        jobs=queue,
        speech=synthesizers,
        storage=storage,
        clock=clock,
        retry_policy=policy,
        lease=lease,
        requeue_after=requeue_after,
        notifications=notifications,
    )
    return Services(
        uow=uow,
        db=uow.database,
        clock=clock,
        queue=queue,
        speech=synthesizers,
        storage=storage,
        hasher=hasher,
        mailer=FakeMailer(),
        qr=FakeQr(),
        retry_policy=policy,
        lease=lease,
        requeue_after=requeue_after,
        generations=generations,
        generation_failures=GenerationFailures(
            uow=uow,
            notifications=notifications,
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        generation_revisions=GenerationRevisions(
            uow=uow,
            speech=synthesizers,
            storage=storage,
            hand_to_queue=generations.hand_to_queue,
            clock=clock,
        ),
        folders=FoldersAndTags(uow=uow, clock=clock),
        voices=VoiceGallery(uow=uow, storage=storage, speech=synthesizers, clock=clock),
        accounts=Accounts(
            uow=uow,
            sessions=sessions,
            hasher=hasher,
            limits=limits,
            notifications=notifications,
            clock=clock,
            policy=AccountPolicy(session_idle=session_idle, session_absolute=session_absolute),
        ),
        sessions=sessions,
        limits=limits,
        playback=Playback(uow=uow, storage=storage, clock=clock),
        # The settings' defaults: over 20% of at least 20 attempts in 15 min; 60 min apart.
        failure_monitor=FailureMonitor(
            uow=uow, notifications=notifications, clock=clock, policy=AlertPolicy()
        ),
        audit=AuditTrail(uow=uow),
    )


if TYPE_CHECKING:  # mypy checks that every fake satisfies its port
    _uow: ports.UnitOfWorkFactory = FakeUnitOfWorkFactory()
    _unit: ports.UnitOfWork = FakeUnitOfWork(FakeUnitOfWorkFactory())
    _speech: ports.SpeechSynthesizer = FakeSpeech()
    _storage: ports.AudioStorage = FakeStorage()
    _mailer: ports.Mailer = FakeMailer()
    _qr: ports.QrRenderer = FakeQr()
    _queue: Jobs = FakeQueue()
    _hasher: ports.PasswordHasher = FakeHasher()
    _sessions: ports.SessionStore = FakeSessionStore()
    _limits: ports.RateLimiter = FakeRateLimiter()
