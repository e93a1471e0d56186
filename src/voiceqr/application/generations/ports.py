"""What generations need: their repositories, the queue that wakes a worker, the
playback counts of their codes, and the unit of work their use cases open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from voiceqr.application.accounts.ports import UserRepository
from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.shared.ports import (
    AuditedUnitOfWork,
    HistoryPosition,
    PreferencesRepository,
    Transaction,
)
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import Filing, Label, LabelUsage
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.generations.qr_design import QrDesign
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.moderation.screening import Screened
from voiceqr.domain.playback.events import PlaybackCounts
from voiceqr.domain.shared.errors import ErrorCategory

if TYPE_CHECKING:  # moderation's ports read generations' at import: only for the types
    from voiceqr.application.moderation.ports import CaseRepository, FlagRepository


@dataclass(frozen=True, slots=True)
class GenerationFilter:
    """Which of an owner's generations to list; every field left None matches all.

    The creation window is half-open: `created_from <= created_at < created_to`.
    """

    voice_id: UUID | None = None
    status: GenerationStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # Search: words that must each start a word of the text (see domain.organising.search_terms),
    # the folder it is in, and a tag it carries (by name, any case).
    text: str | None = None
    folder_id: UUID | None = None
    tag: str | None = None


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

        Raises `Conflict` (code `stale_generation`) otherwise; bumps `version`. The
        title is not saved here (see `retitle`).
        """
        ...

    async def retitle(self, generation_id: UUID, title: str | None) -> None:
        """Save only the title of a generation that is not deleted.

        Apart from the versioned save and with no version bump: a worker busy with the
        audio saves its result as if nothing happened, and never writes the title back.
        """
        ...

    async def note_failure_notified(self, generation_id: UUID, *, at: datetime) -> bool:
        """Stamp that the owner was told the generation failed for good, unless it was
        stamped before; False when it was (nobody is to tell them again).

        A conditional write with no version bump, in the transaction that tells them:
        of two transactions racing, only the first to commit stamps it, and a crash
        undoes the stamp with the mail.
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
        self,
        *,
        status: GenerationStatus | None,
        category: ErrorCategory | None,
        limit: int,
        owner_id: UUID | None = None,
    ) -> list[Generation]:
        """Every owner's generations, or one owner's (not deleted), most recently
        updated first."""
        ...

    # --- folders and tags: each acts on many generations, only on the owner's ---

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
    """A user's folders, or a user's tags: the same shape, one table each."""

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
    """The attempt history of generations, written with each status change."""

    async def add(self, attempt: GenerationAttempt) -> None: ...

    async def update(self, attempt: GenerationAttempt) -> None: ...

    async def running(self, generation_id: UUID) -> GenerationAttempt | None:
        """The attempt that has not finished yet, if any."""
        ...

    async def list_for(self, generation_id: UUID) -> list[GenerationAttempt]:
        """Oldest first."""
        ...


class GenerationRevisionRepository(Protocol):
    """The revisions of generations: what each edit asked for, and its audio."""

    async def add(self, revision: GenerationRevision) -> None:
        """Raises Conflict when the generation has a revision of that number already."""
        ...

    async def get(self, generation_id: UUID, number: int) -> GenerationRevision | None: ...

    async def update(self, revision: GenerationRevision) -> None: ...

    async def list_for(self, generation_id: UUID) -> list[GenerationRevision]:
        """Newest (highest number) first."""
        ...


class QrDesignRepository(Protocol):
    """How printed codes look: a design per generation, and each user's default."""

    async def get_for_generation(self, generation_id: UUID) -> QrDesign | None:
        """The design saved for a generation (its owner is checked by the caller)."""
        ...

    async def save_for_generation(self, generation_id: UUID, design: QrDesign) -> None: ...

    async def get_default(self, user_id: UUID) -> QrDesign | None:
        """The design a user's generations start from, or None (the plain code)."""
        ...

    async def save_default(self, user_id: UUID, design: QrDesign) -> None: ...


class GenerationsUnitOfWork(MailUnitOfWork, AuditedUnitOfWork, Protocol):
    """Generations with their attempts, revisions, folders and tags; the voices they
    speak in, their owners and the owners' preferences, in one transaction."""

    generations: GenerationRepository
    generation_attempts: GenerationAttemptRepository
    generation_revisions: GenerationRevisionRepository
    folders: LabelRepository
    tags: LabelRepository
    voices: VoiceRepository
    users: UserRepository
    preferences: PreferencesRepository
    qr_designs: QrDesignRepository
    # The text filter's and the rules' flags are saved with the request or edit.
    flags: FlagRepository
    moderation_cases: CaseRepository


class TextScreen(Protocol):
    """Moderation's text filter and automated rules, run on every text before any
    speech is made."""

    async def screen(
        self,
        owner: User,
        text: str,
        *,
        generation_id: UUID,
        request: bool,
        title: str | None = None,
    ) -> Screened:
        """Refuse a blocked text (ValidationError `text_not_allowed`, naming no list),
        or say whether to hold it for review and which automatic flags to raise. The
        rules that compare requests run for a request only (`request`), not an edit.

        A `title` given with it goes through the same filter (see `screen_title`): a
        blocked title refuses the whole, a held one holds it."""
        ...

    async def screen_title(self, title: str) -> Screened:
        """The text filter on a title alone: refuse a blocked one (`text_not_allowed`),
        or say whether the filter holds it and which flags to raise. The rules that
        compare requests read texts, not titles."""
        ...

    async def refuse_unless_speakable(self, text: str) -> None:
        """Refuse (`text_not_allowed`) a text that may not be spoken before a moderator
        saw it, blocked or held: a voice preview is spoken at once, to its asker."""
        ...

    async def record(
        self, uow: GenerationsUnitOfWork, generation_id: UUID, screened: Screened
    ) -> None:
        """Raise the flags of `screened` on the generation, in the caller's transaction."""
        ...


class PlaybackStatistics(Protocol):
    """How often the codes of generations were scanned and listened to (the playback
    feature counts them; an export lists them)."""

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]: ...


class PreviewRepository(Protocol):
    """Voice previews (compare voices side by side): shared by every user, one per
    cache key, and never part of anyone's history."""

    async def add(self, preview: Preview) -> None:
        """Raises `Conflict` (code `preview_exists`) when its cache key has a preview."""
        ...

    async def get(self, preview_id: UUID) -> Preview | None: ...

    async def get_many(self, preview_ids: Sequence[UUID]) -> dict[UUID, Preview]:
        """The previews among `preview_ids` that still exist, by id."""
        ...

    async def find(self, cache_keys: Sequence[str]) -> dict[str, Preview]:
        """The previews of these cache keys, by key."""
        ...

    async def update(self, preview: Preview) -> None:
        """Save changes if nobody saved since it was read (version check); raises
        `Conflict` (code `stale_preview`) otherwise; bumps `version`."""
        ...

    async def keep_until(self, preview_ids: Sequence[UUID], moment: datetime) -> None:
        """Keep these previews at least until `moment` (a later `expires_at` stays).
        Not a versioned save: it never takes a claim away from a worker."""
        ...

    async def delete(self, preview_id: UUID, *, expired_by: datetime | None = None) -> bool:
        """Remove it; with `expired_by`, only if it expired by then as it is deleted.
        Returns whether it was removed."""
        ...

    async def made_by_since(self, user_id: UUID, since: datetime) -> list[datetime]:
        """When the user's new previews (the ones the user made, not found made) made
        from `since` on were asked for."""
        ...

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Preview]:
        """Pending, due, and not handed to the queue since `enqueued_before`."""
        ...

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Preview]: ...

    async def mark_enqueued(self, preview_ids: Sequence[UUID], *, now: datetime | None) -> None: ...

    async def expired(self, *, now: datetime, limit: int) -> list[Preview]:
        """Previews whose `expires_at` has passed, oldest first."""
        ...


class ComparisonRepository(Protocol):
    """Each user's compares: the text and the previews of the voices picked."""

    async def add(self, comparison: Comparison) -> None: ...

    async def get_owned(self, comparison_id: UUID, owner_id: UUID) -> Comparison | None:
        """The comparison if `owner_id` made it; None otherwise."""
        ...

    async def delete_expired(self, *, now: datetime) -> int:
        """Remove the comparisons whose `expires_at` has passed; returns how many."""
        ...


class PreviewsUnitOfWork(Transaction, Protocol):
    """Previews, comparisons and the voices they are made with, in one transaction."""

    previews: PreviewRepository
    comparisons: ComparisonRepository
    voices: VoiceRepository
