"""Voice previews and comparisons, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from tests.integration.database.rows import NOW, add_user
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.generations.previews import Comparison, Preview
from voiceqr.domain.shared.errors import Conflict, ErrorCategory
from voiceqr.domain.shared.ids import uuid7

WEEK = timedelta(days=7)


def make_preview(requested_by: UUID, key: str = "a" * 64, **changes: Any) -> Preview:
    preview = Preview(
        id=uuid7(),
        cache_key=key,
        voice_id=uuid7(),
        text="Mind the gap ☕",
        requested_by=requested_by,
        created_at=NOW,
        expires_at=NOW + WEEK,
        next_attempt_at=NOW,
        updated_at=NOW,
    )
    return dataclasses.replace(preview, **changes)


async def add(uows: SqlUnitOfWorkFactory, *previews: Preview) -> None:
    async with uows() as uow:
        for preview in previews:
            await uow.previews.add(preview)
        await uow.commit()


async def test_a_preview_round_trips_and_one_cache_key_holds_one_preview(
    uows: SqlUnitOfWorkFactory,
) -> None:
    user = await add_user(uows)
    preview = make_preview(user.id)
    await add(uows, preview)

    async with uows() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.previews.add(make_preview(user.id))
        assert taken.value.code == "preview_exists"
        # The refusal left the transaction usable (a savepoint on PostgreSQL).
        assert await uow.previews.find([preview.cache_key, "b" * 64]) == {
            preview.cache_key: preview
        }
        assert await uow.previews.get(preview.id) == preview
        assert await uow.previews.get_many([preview.id, uuid7()]) == {preview.id: preview}


async def test_an_update_is_a_compare_and_set(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    preview = make_preview(user.id)
    await add(uows, preview)
    first, second = dataclasses.replace(preview), dataclasses.replace(preview)

    first.claim(NOW, timedelta(minutes=5))
    first.complete(audio_key="previews/x/1.mp3", characters_billed=14, now=NOW)
    async with uows() as uow:
        await uow.previews.update(first)
        await uow.commit()
    second.claim(NOW, timedelta(minutes=5))
    async with uows() as uow:
        with pytest.raises(Conflict):
            await uow.previews.update(second)

    async with uows() as uow:
        stored = await uow.previews.get(preview.id)
    assert stored == first
    assert stored is not None
    assert stored.status is GenerationStatus.COMPLETED
    assert stored.version == 1


async def test_the_worker_s_queries_and_the_daily_count(uows: SqlUnitOfWorkFactory) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    due = make_preview(ann.id, "1" * 64)
    later = make_preview(ann.id, "2" * 64, next_attempt_at=NOW + timedelta(hours=1))
    sent = make_preview(ann.id, "3" * 64, enqueued_at=NOW)
    lost = make_preview(
        bob.id,
        "4" * 64,
        status=GenerationStatus.PROCESSING,
        attempts=1,
        lease_expires_at=NOW - timedelta(seconds=1),
        error_category=ErrorCategory.PROVIDER,
    )
    yesterday = make_preview(ann.id, "5" * 64, created_at=NOW - timedelta(days=1, seconds=1))
    await add(uows, due, later, sent, lost, yesterday)

    async with uows() as uow:
        ready = await uow.previews.due_for_enqueue(now=NOW, enqueued_before=NOW, limit=10)
        assert {p.id for p in ready} == {due.id, yesterday.id}
        assert [p.id for p in await uow.previews.with_expired_lease(now=NOW, limit=10)] == [lost.id]
        made = await uow.previews.made_by_since(ann.id, NOW - timedelta(days=1))
        assert sorted(made) == [NOW, NOW, NOW]
        await uow.previews.mark_enqueued([due.id, lost.id], now=NOW)
        await uow.commit()
    async with uows() as uow:
        assert (await uow.previews.get(due.id)).enqueued_at == NOW  # type: ignore[union-attr]
        assert (await uow.previews.get(lost.id)).enqueued_at is None  # type: ignore[union-attr]


async def test_expired_previews_and_comparisons_are_found_and_deleted(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann = await add_user(uows)
    old = make_preview(ann.id, "1" * 64, expires_at=NOW - timedelta(seconds=1))
    kept = make_preview(ann.id, "2" * 64)
    await add(uows, old, kept)
    comparisons = [
        Comparison(
            id=uuid7(),
            owner_id=ann.id,
            text="Mind the gap ☕",
            created_at=NOW,
            expires_at=expires_at,
            voice_ids=[old.voice_id, kept.voice_id],
            preview_ids=[old.id, kept.id],
        )
        for expires_at in (NOW - timedelta(seconds=1), NOW + WEEK)
    ]
    async with uows() as uow:
        for comparison in comparisons:
            await uow.comparisons.add(comparison)
        await uow.commit()

    async with uows() as uow:
        assert [p.id for p in await uow.previews.expired(now=NOW, limit=10)] == [old.id]
        await uow.previews.delete(old.id)
        assert await uow.comparisons.delete_expired(now=NOW) == 1
        await uow.commit()
    async with uows() as uow:
        assert await uow.previews.get(old.id) is None
        assert await uow.comparisons.get_owned(comparisons[0].id, ann.id) is None
        assert await uow.comparisons.get_owned(comparisons[1].id, ann.id) == comparisons[1]
        assert await uow.comparisons.get_owned(comparisons[1].id, uuid7()) is None


async def test_keeping_only_lengthens_and_an_expired_delete_spares_a_kept_preview(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann = await add_user(uows)
    soon = make_preview(ann.id, "1" * 64, expires_at=NOW)
    late = make_preview(ann.id, "2" * 64, expires_at=NOW + 2 * WEEK)
    await add(uows, soon, late)

    async with uows() as uow:
        await uow.previews.keep_until([soon.id, late.id], NOW + WEEK)
        assert not await uow.previews.delete(soon.id, expired_by=NOW)
        await uow.commit()
    async with uows() as uow:
        kept = await uow.previews.get_many([soon.id, late.id])
        assert kept[soon.id].expires_at == NOW + WEEK
        assert kept[soon.id].version == 0  # no claim of a worker is taken away
        assert kept[late.id].expires_at == NOW + 2 * WEEK
        assert await uow.previews.delete(soon.id, expired_by=NOW + WEEK)
        assert await uow.previews.delete(late.id)
        await uow.commit()
