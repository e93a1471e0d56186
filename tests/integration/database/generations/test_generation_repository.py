"""The generations repository, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.integration.database.rows import (
    LEASE,
    NOW,
    add_generations,
    add_user,
    make_generation,
    make_user,
)
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.generation import Generation, GenerationStatus, RetryPolicy
from voiceqr.domain.shared.errors import Conflict, ErrorCategory
from voiceqr.domain.shared.ids import uuid7


async def test_generation_round_trips_every_field(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    plain = make_generation(owner.id)
    full = make_generation(
        owner.id,
        text="Grüße 👋 — line one\nline two",
        status=GenerationStatus.FAILED,
        attempts=3,
        next_attempt_at=NOW + timedelta(minutes=1),
        lease_expires_at=NOW + timedelta(minutes=2),
        enqueued_at=NOW - timedelta(minutes=3),
        audio_key="audio/x/1.mp3",
        audio_bytes=2**40,
        characters_billed=1234,
        error_category=ErrorCategory.PROVIDER,
        error_code="provider_down",
        error_message="The speech service is down.",
        error_detail="HTTP 503",
        updated_at=NOW + timedelta(seconds=4),
        completed_at=NOW + timedelta(seconds=5),
        version=7,
        title="Grüße, room 4",
    )
    await add_generations(uows, plain, full)

    async with uows() as uow:
        assert await uow.generations.get(plain.id) == plain
        loaded = await uow.generations.get(full.id)
        assert await uow.generations.get_by_code(full.public_code) == full
        assert await uow.generations.get(uuid7()) is None
        assert await uow.generations.get_by_code("no-such-code-here") is None

    assert loaded == full
    assert loaded is not None
    assert loaded.status is GenerationStatus.FAILED
    assert loaded.error_category is ErrorCategory.PROVIDER


async def test_get_owned_hides_other_owners_generations(uows: SqlUnitOfWorkFactory) -> None:
    owner, stranger = await add_user(uows), await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        assert await uow.generations.get_owned(generation.id, owner.id) == generation
        assert await uow.generations.get_owned(generation.id, stranger.id) is None
        assert await uow.generations.get_owned(uuid7(), owner.id) is None


async def test_list_owned_is_newest_first(uows: SqlUnitOfWorkFactory) -> None:
    owner, stranger = await add_user(uows), await add_user(uows)
    oldest = make_generation(owner.id, created_at=NOW - timedelta(hours=2))
    middle = make_generation(owner.id, created_at=NOW - timedelta(hours=1))
    # Same creation time: the later (time-ordered) id is the newer one.
    ms = int(NOW.timestamp() * 1000)
    newest = make_generation(owner.id, id=uuid7(ms + 1), created_at=NOW)
    tied = make_generation(owner.id, id=uuid7(ms), created_at=NOW)
    theirs = make_generation(stranger.id, created_at=NOW + timedelta(hours=1))
    await add_generations(uows, middle, theirs, tied, newest, oldest)

    async with uows() as uow:
        everything = await uow.generations.list_owned(owner.id, limit=10)
        first_two = await uow.generations.list_owned(owner.id, limit=2)
        nobody = await uow.generations.list_owned(uuid7(), limit=10)

    assert everything == [newest, tied, middle, oldest]
    assert first_two == [newest, tied]
    assert nobody == []


async def test_update_saves_changes_and_bumps_version(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        current = await uow.generations.get(generation.id)
        assert current is not None
        current.claim(NOW, LEASE)
        await uow.generations.update(current)
        assert current.version == 1
        current.complete(
            audio_key="audio/1.mp3", audio_bytes=2048, characters_billed=11, now=NOW + LEASE / 2
        )
        await uow.generations.update(current)
        assert current.version == 2
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded == current
    assert loaded is not None
    assert loaded.status is GenerationStatus.COMPLETED
    assert loaded.attempts == 1
    assert loaded.version == 2


async def test_update_with_stale_copy_is_conflict_and_changes_nothing(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)

    async with uows() as uow:
        stale = await uow.generations.get(generation.id)
    assert stale is not None

    async with uows() as uow:
        fresh = await uow.generations.get(generation.id)
        assert fresh is not None
        fresh.claim(NOW, LEASE)
        await uow.generations.update(fresh)
        await uow.commit()

    async with uows() as uow:
        stale.claim(NOW + timedelta(seconds=30), LEASE * 2)
        stale.text = "overwritten"
        with pytest.raises(Conflict) as raised:
            await uow.generations.update(stale)
        assert raised.value.code == "stale_generation"
        assert stale.version == 0
        await uow.commit()

    async with uows() as uow:
        assert await uow.generations.get(generation.id) == fresh

    # The same within one transaction: two copies read, the second save loses.
    async with uows() as uow:
        first = await uow.generations.get(generation.id)
        second = await uow.generations.get(generation.id)
        assert first is not None
        assert second is not None
        first.expire_lease(now=NOW + LEASE, policy=RetryPolicy())
        await uow.generations.update(first)
        second.error_code = "nope"
        with pytest.raises(Conflict) as raised:
            await uow.generations.update(second)
        assert raised.value.code == "stale_generation"
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded == first
    assert loaded is not None
    assert loaded.version == 2


async def test_due_for_enqueue(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    o = owner.id
    new = make_generation(o)
    due_retry = make_generation(o, next_attempt_at=NOW - timedelta(minutes=1))
    due_exactly = make_generation(o, next_attempt_at=NOW)
    long_ago_enqueued = make_generation(o, enqueued_at=NOW - timedelta(minutes=10))
    not_due = make_generation(o, next_attempt_at=NOW + timedelta(microseconds=1))
    recently_enqueued = make_generation(o, enqueued_at=NOW - timedelta(seconds=10))
    processing = make_generation(
        o, status=GenerationStatus.PROCESSING, attempts=1, lease_expires_at=NOW + LEASE
    )
    completed = make_generation(o, status=GenerationStatus.COMPLETED, attempts=1)
    failed = make_generation(o, status=GenerationStatus.FAILED, attempts=5)
    await add_generations(
        uows,
        new,
        due_retry,
        due_exactly,
        long_ago_enqueued,
        not_due,
        recently_enqueued,
        processing,
        completed,
        failed,
    )

    async with uows() as uow:
        due = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(minutes=1), limit=100
        )
        limited = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(minutes=1), limit=2
        )

    expected = {new.id, due_retry.id, due_exactly.id, long_ago_enqueued.id}
    assert {g.id for g in due} == expected
    assert len(due) == len(expected)
    assert len(limited) == 2
    assert {g.id for g in limited} <= expected
    assert next(g for g in due if g.id == due_retry.id) == due_retry


async def test_with_expired_lease(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)

    def processing(lease_expires_at: datetime) -> Generation:
        return make_generation(
            owner.id,
            status=GenerationStatus.PROCESSING,
            attempts=1,
            lease_expires_at=lease_expires_at,
        )

    expired = processing(NOW - timedelta(minutes=1))
    expired_now = processing(NOW)
    expired_longer_ago = processing(NOW - timedelta(hours=1))
    live = processing(NOW + timedelta(microseconds=1))
    pending = make_generation(owner.id, lease_expires_at=NOW - timedelta(hours=1))
    completed = make_generation(
        owner.id, status=GenerationStatus.COMPLETED, lease_expires_at=NOW - timedelta(hours=1)
    )
    await add_generations(uows, expired, expired_now, live, pending, completed, expired_longer_ago)

    async with uows() as uow:
        found = await uow.generations.with_expired_lease(now=NOW, limit=100)
        oldest = await uow.generations.with_expired_lease(now=NOW, limit=1)

    assert [g.id for g in found] == [expired_longer_ago.id, expired.id, expired_now.id]
    assert oldest == [expired_longer_ago]


async def test_mark_enqueued(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    first, second, untouched = (make_generation(owner.id) for _ in range(3))
    running = make_generation(
        owner.id, status=GenerationStatus.PROCESSING, attempts=1, lease_expires_at=NOW + LEASE
    )
    await add_generations(uows, first, second, untouched, running)

    async with uows() as uow:
        await uow.generations.mark_enqueued([], now=NOW)  # nothing to do
        await uow.generations.mark_enqueued([first.id, second.id, running.id], now=NOW)
        await uow.commit()

    async with uows() as uow:
        loaded = {
            g.id: await uow.generations.get(g.id) for g in (first, second, untouched, running)
        }
        due = await uow.generations.due_for_enqueue(
            now=NOW, enqueued_before=NOW - timedelta(seconds=30), limit=100
        )
        due_later = await uow.generations.due_for_enqueue(
            now=NOW + timedelta(minutes=5), enqueued_before=NOW + timedelta(seconds=1), limit=100
        )

    assert loaded[first.id] == dataclasses.replace(first, enqueued_at=NOW)
    assert loaded[second.id] == dataclasses.replace(second, enqueued_at=NOW)
    assert loaded[untouched.id] == untouched
    assert loaded[running.id] == running  # only pending rows are marked
    assert [g.id for g in due] == [untouched.id]
    assert {g.id for g in due_later} == {first.id, second.id, untouched.id}


async def test_aware_datetimes_round_trip_exactly_as_utc(uows: SqlUnitOfWorkFactory) -> None:
    plus_five_thirty = timezone(timedelta(hours=5, minutes=30))
    minus_eight = timezone(timedelta(hours=-8))
    created = datetime(2026, 1, 1, 0, 30, 0, 1, tzinfo=plus_five_thirty)  # 2025-12-31 19:00 UTC
    lease = datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=minus_eight)
    owner = await add_user(uows, dataclasses.replace(make_user(), created_at=created))
    generation = make_generation(
        owner.id,
        created_at=created,
        lease_expires_at=lease,
        next_attempt_at=NOW,
        status=GenerationStatus.PROCESSING,
        attempts=1,
    )
    await add_generations(uows, generation)

    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
        loaded_owner = await uow.users.get(owner.id)
        expired = await uow.generations.with_expired_lease(
            now=lease.astimezone(UTC) + timedelta(microseconds=1), limit=10
        )
        not_yet = await uow.generations.with_expired_lease(
            now=lease - timedelta(microseconds=1), limit=10
        )

    assert loaded is not None
    assert loaded_owner is not None
    for value, original in (
        (loaded.created_at, created),
        (loaded.lease_expires_at, lease),
        (loaded.next_attempt_at, NOW),
        (loaded_owner.created_at, created),
    ):
        assert value is not None
        assert value == original
        assert value.utcoffset() == timedelta(0)
        assert value.replace(tzinfo=None) == original.astimezone(UTC).replace(tzinfo=None)
    assert [g.id for g in expired] == [generation.id]
    assert not_yet == []


async def test_a_title_is_saved_apart_and_a_stale_save_neither_conflicts_nor_undoes_it(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id, title="First")
    await add_generations(uows, generation)
    async with uows() as uow:  # what a worker read before the owner renamed it
        busy = await uow.generations.get(generation.id)
    assert busy is not None

    async with uows() as uow:
        await uow.generations.retitle(generation.id, "Renamed")
        await uow.commit()
    busy.attempts += 1
    async with uows() as uow:
        await uow.generations.update(busy)
        await uow.commit()

    async with uows() as uow:
        stored = await uow.generations.get(generation.id)
    assert stored is not None
    assert (stored.title, stored.attempts, stored.version) == ("Renamed", 1, busy.version)


async def test_a_deleted_generation_keeps_its_title(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    gone = make_generation(owner.id, title="Kept", deleted_at=NOW)
    await add_generations(uows, gone)
    async with uows() as uow:
        await uow.generations.retitle(gone.id, None)
        await uow.commit()
    async with uows() as uow:
        stored = await uow.generations.get(gone.id)
    assert stored is not None
    assert stored.title == "Kept"


async def test_the_owner_is_told_of_a_failure_once_and_a_save_never_clears_it(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id, status=GenerationStatus.FAILED)
    await add_generations(uows, generation)
    async with uows() as uow:  # what a worker read before the owner was told
        busy = await uow.generations.get(generation.id)
    assert busy is not None

    async with uows() as uow:
        assert await uow.generations.note_failure_notified(generation.id, at=NOW)
        assert not await uow.generations.note_failure_notified(generation.id, at=NOW)
        await uow.commit()
    async with uows() as uow:
        await uow.generations.update(busy)
        assert not await uow.generations.note_failure_notified(generation.id, at=NOW + LEASE)
        await uow.commit()

    async with uows() as uow:
        stored = await uow.generations.get(generation.id)
    assert stored is not None
    assert stored.failure_notified_at == NOW


async def test_a_failure_stamp_rolled_back_leaves_the_owner_to_be_told(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id, status=GenerationStatus.FAILED)
    await add_generations(uows, generation)
    async with uows() as uow:
        assert await uow.generations.note_failure_notified(generation.id, at=NOW)
        # no commit: the mail written with it is lost too
    async with uows() as uow:
        assert await uow.generations.note_failure_notified(generation.id, at=NOW)


async def test_two_transactions_racing_to_tell_the_owner_stamp_it_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id, status=GenerationStatus.FAILED)
    await add_generations(uows, generation)

    async def tell() -> bool:
        async with uows() as uow:
            told = await uow.generations.note_failure_notified(generation.id, at=NOW)
            await asyncio.sleep(0.05)  # the other one tries while this one is open
            await uow.commit()
            return told

    assert sorted(await asyncio.gather(tell(), tell())) == [False, True]
