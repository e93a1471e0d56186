"""Fake stores of voice previews and comparisons."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.generations.ports import ComparisonRepository, PreviewRepository
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.shared.errors import Conflict

_FIXED_PREVIEW_FIELDS = ("id", "cache_key", "requested_by", "created_at")


class FakePreviews(Table):
    async def add(self, preview: Preview) -> None:
        taken = {p.cache_key for p in self._db.voice_previews.values()}
        if preview.id in self._db.voice_previews or preview.cache_key in taken:
            raise Conflict("This voice is reading this text already.", code="preview_exists")
        self._db.voice_previews[preview.id] = copy.deepcopy(preview)
        self._wrote()

    async def get(self, preview_id: UUID) -> Preview | None:
        return copy.deepcopy(self._db.voice_previews.get(preview_id))

    async def get_many(self, preview_ids: Sequence[UUID]) -> dict[UUID, Preview]:
        stored = self._db.voice_previews
        return {i: copy.deepcopy(stored[i]) for i in preview_ids if i in stored}

    async def find(self, cache_keys: Sequence[str]) -> dict[str, Preview]:
        wanted = set(cache_keys)
        return {
            p.cache_key: copy.deepcopy(p)
            for p in self._db.voice_previews.values()
            if p.cache_key in wanted
        }

    async def update(self, preview: Preview) -> None:
        """Compare-and-set on `version`, like `UPDATE ... WHERE id = ? AND version = ?`."""
        stored = self._db.voice_previews.get(preview.id)
        if stored is None or stored.version != preview.version:
            raise Conflict("The preview changed meanwhile.", code="stale_preview")
        updated = copy.deepcopy(preview)
        for name in _FIXED_PREVIEW_FIELDS:
            setattr(updated, name, getattr(stored, name))
        updated.version = preview.version + 1
        self._db.voice_previews[preview.id] = updated
        preview.version += 1
        self._wrote()

    async def keep_until(self, preview_ids: Sequence[UUID], moment: datetime) -> None:
        for preview_id in preview_ids:
            stored = self._db.voice_previews.get(preview_id)
            if stored is not None and stored.expires_at < moment:
                stored.expires_at = moment  # no version bump, like the SQL update
                self._wrote()

    async def delete(self, preview_id: UUID, *, expired_by: datetime | None = None) -> bool:
        stored = self._db.voice_previews.get(preview_id)
        if stored is None or (expired_by is not None and stored.expires_at > expired_by):
            return False
        del self._db.voice_previews[preview_id]
        self._wrote()
        return True

    async def made_by_since(self, user_id: UUID, since: datetime) -> list[datetime]:
        return [
            p.created_at
            for p in self._db.voice_previews.values()
            if p.requested_by == user_id and p.created_at >= since
        ]

    async def due_for_enqueue(
        self, *, now: datetime, enqueued_before: datetime, limit: int
    ) -> list[Preview]:
        due = [
            p
            for p in self._db.voice_previews.values()
            if p.is_due(now) and (p.enqueued_at is None or p.enqueued_at < enqueued_before)
        ]
        return copy.deepcopy(due[:limit])

    async def with_expired_lease(self, *, now: datetime, limit: int) -> list[Preview]:
        lost = [
            p
            for p in self._db.voice_previews.values()
            if p.status is GenerationStatus.PROCESSING
            and p.lease_expires_at is not None
            and p.lease_expires_at <= now
        ]
        return copy.deepcopy(lost[:limit])

    async def mark_enqueued(self, preview_ids: Sequence[UUID], *, now: datetime | None) -> None:
        for preview_id in preview_ids:
            stored = self._db.voice_previews.get(preview_id)
            if stored is not None and stored.status is GenerationStatus.PENDING:
                stored.enqueued_at = now
                self._wrote()

    async def expired(self, *, now: datetime, limit: int) -> list[Preview]:
        gone = sorted(
            (p for p in self._db.voice_previews.values() if p.expires_at <= now),
            key=lambda p: p.expires_at,
        )
        return copy.deepcopy(gone[:limit])


class FakeComparisons(Table):
    async def add(self, comparison: Comparison) -> None:
        self._db.voice_comparisons[comparison.id] = copy.deepcopy(comparison)
        self._wrote()

    async def get_owned(self, comparison_id: UUID, owner_id: UUID) -> Comparison | None:
        stored = self._db.voice_comparisons.get(comparison_id)
        if stored is None or stored.owner_id != owner_id:
            return None
        return copy.deepcopy(stored)

    async def delete_expired(self, *, now: datetime) -> int:
        gone = [i for i, c in self._db.voice_comparisons.items() if c.expires_at <= now]
        for comparison_id in gone:
            del self._db.voice_comparisons[comparison_id]
        if gone:
            self._wrote()
        return len(gone)


class PreviewsPart(Part):
    """Voice previews' fake repositories."""

    previews: PreviewRepository
    comparisons: ComparisonRepository

    def attach(self) -> None:
        self.previews = FakePreviews(self)
        self.comparisons = FakeComparisons(self)
        super().attach()
