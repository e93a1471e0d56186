"""Fake stores of generations (with their attempts, revisions, folders and tags) and the queue."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.generations.generations import PROCESS_GENERATION
from voiceqr.application.generations.ports import (
    GenerationAttemptRepository,
    GenerationFilter,
    GenerationRepository,
    GenerationRevisionRepository,
    LabelRepository,
)
from voiceqr.application.shared.ports import (
    HistoryPosition,
)
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import (
    Filing,
    Label,
    LabelKind,
    LabelUsage,
    matches_search,
    name_key,
    search_terms,
    searched_text,
)
from voiceqr.domain.generations.revisions import GenerationRevision
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
)

_FIXED_GENERATION_FIELDS = (
    "id",
    "owner_id",
    "public_code",
    "created_at",
    "title",
    "failure_notified_at",
)


class FakeGenerations(Table):
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

    async def retitle(self, generation_id: UUID, title: str | None) -> None:
        stored = self._db.generations.get(generation_id)
        if stored is not None and not stored.is_deleted:
            stored.title = title
            self._wrote()

    async def note_failure_notified(self, generation_id: UUID, *, at: datetime) -> bool:
        """Like `UPDATE ... SET failure_notified_at = ? WHERE ... IS NULL`: once only."""
        stored = self._db.generations.get(generation_id)
        if stored is None or stored.failure_notified_at is not None:
            return False
        stored.failure_notified_at = at
        self._wrote()
        return True

    async def list_owned(
        self,
        owner_id: UUID,
        *,
        limit: int,
        matching: GenerationFilter | None = None,
        after: HistoryPosition | None = None,
    ) -> list[Generation]:
        f = matching or GenerationFilter()
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
            and (not terms or matches_search(searched_text(g.title, g.text), terms))
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
        self,
        *,
        status: GenerationStatus | None,
        category: ErrorCategory | None,
        limit: int,
        owner_id: UUID | None = None,
    ) -> list[Generation]:
        found = [
            g
            for g in self._db.generations.values()
            if not g.is_deleted
            and (owner_id is None or g.owner_id == owner_id)
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


class FakeGenerationRevisions(Table):
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


class FakeLabels(Table):
    """A user's folders or tags; deleting one unfiles its generations, as the SQL
    foreign keys (ON DELETE CASCADE on the link tables) do."""

    def __init__(self, uow: Part, kind: LabelKind) -> None:
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


class FakeGenerationAttempts(Table):
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


class GenerationsPart(Part):
    """The generations feature's fake repositories."""

    generations: GenerationRepository
    generation_attempts: GenerationAttemptRepository
    generation_revisions: GenerationRevisionRepository
    folders: LabelRepository
    tags: LabelRepository

    def attach(self) -> None:
        self.generations = FakeGenerations(self)
        self.generation_attempts = FakeGenerationAttempts(self)
        self.generation_revisions = FakeGenerationRevisions(self)
        self.folders = FakeLabels(self, LabelKind.FOLDER)
        self.tags = FakeLabels(self, LabelKind.TAG)
        super().attach()
