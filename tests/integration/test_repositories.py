"""The SQL repositories and unit of work, run unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.domain.errors import Conflict, ErrorCategory
from voiceqr.domain.generations import (
    Generation,
    GenerationStatus,
    RetryPolicy,
    new_public_code,
)
from voiceqr.domain.ids import uuid7
from voiceqr.domain.playback import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.sessions import Session
from voiceqr.domain.users import Role, User
from voiceqr.domain.voices import Voice, VoiceSample

# Microseconds on purpose: both engines must keep them.
NOW = datetime(2026, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
async def uows(database_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    factory = SqlUnitOfWorkFactory(create_engine(database_url))
    try:
        yield factory
    finally:
        await factory.dispose()


def make_user(email: str | None = None, *, role: Role = Role.USER) -> User:
    user_id = uuid7()
    return User(
        id=user_id,
        email=email or f"{user_id.hex}@example.com",
        name="Ada Lovelace",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        role=role,
        created_at=NOW,
    )


def make_voice(name: str = "Aria", *, priority: int = 0, published: bool = True) -> Voice:
    return Voice(
        id=uuid7(),
        name=name,
        provider="espeak",
        provider_voice_id=f"en-{name.lower()}",
        description="A calm narrator",
        type="narration",
        language="en",
        region="GB",
        age="adult",
        style="calm",
        samples=[VoiceSample(key=f"voices/{name}/1.mp3")],
        published=published,
        priority=priority,
        created_at=NOW,
        updated_at=NOW,
    )


def make_generation(owner_id: UUID, **changes: Any) -> Generation:
    generation = Generation(
        id=uuid7(),
        owner_id=owner_id,
        voice_id=uuid7(),
        text="Hello there",
        public_code=new_public_code(),
        created_at=NOW,
    )
    return dataclasses.replace(generation, **changes)


async def add_user(uows: SqlUnitOfWorkFactory, user: User | None = None) -> User:
    user = user or make_user()
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_generations(uows: SqlUnitOfWorkFactory, *generations: Generation) -> None:
    async with uows() as uow:
        for generation in generations:
            await uow.generations.add(generation)
        await uow.commit()


# --- voices --------------------------------------------------------------------------


async def test_voice_round_trips_with_samples(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice("Ünïcode")
    voice.samples = [
        VoiceSample(key="voices/a/1.mp3", label="Calm ☕"),
        VoiceSample(key="voices/a/2.mp3"),
    ]
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
        assert await uow.voices.get(uuid7()) is None
        assert await uow.voices.count() == 1

    assert loaded == voice
    assert loaded is not None
    assert loaded.samples == [
        VoiceSample(key="voices/a/1.mp3", label="Calm ☕"),
        VoiceSample(key="voices/a/2.mp3", label="Sample"),
    ]


async def test_voice_update_keeps_created_at(uows: SqlUnitOfWorkFactory) -> None:
    voice = make_voice(published=False)
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()

    changed = dataclasses.replace(
        voice,
        name="Renamed",
        description="Brighter",
        samples=[],
        published=True,
        priority=9,
        created_at=NOW + timedelta(days=1),
        updated_at=NOW + timedelta(hours=1),
    )
    async with uows() as uow:
        await uow.voices.update(changed)
        await uow.commit()

    async with uows() as uow:
        loaded = await uow.voices.get(voice.id)
    assert loaded == dataclasses.replace(changed, created_at=NOW)


async def test_voice_delete(uows: SqlUnitOfWorkFactory) -> None:
    kept, gone = make_voice("Kept"), make_voice("Gone")
    async with uows() as uow:
        await uow.voices.add(kept)
        await uow.voices.add(gone)
        await uow.commit()

    async with uows() as uow:
        await uow.voices.delete(gone.id)
        await uow.voices.delete(uuid7())  # absent: not an error
        await uow.commit()

    async with uows() as uow:
        assert await uow.voices.get(gone.id) is None
        assert await uow.voices.get(kept.id) == kept
        assert await uow.voices.count() == 1


async def test_voice_list_orders_by_priority_then_name(uows: SqlUnitOfWorkFactory) -> None:
    voices = [
        make_voice("Bravo", priority=1),
        make_voice("Zulu", priority=5),
        make_voice("Alpha", priority=1, published=False),
        make_voice("Charlie", priority=0),
        make_voice("Delta", priority=-3, published=False),
    ]
    async with uows() as uow:
        for voice in voices:
            await uow.voices.add(voice)
        await uow.commit()

    async with uows() as uow:
        every = await uow.voices.list(published_only=False)
        published = await uow.voices.list(published_only=True)

    assert [v.name for v in every] == ["Zulu", "Alpha", "Bravo", "Charlie", "Delta"]
    assert [v.name for v in published] == ["Zulu", "Bravo", "Charlie"]
    assert every[0] == voices[1]


# --- users and sessions --------------------------------------------------------------


async def test_user_add_get_and_get_by_email(uows: SqlUnitOfWorkFactory) -> None:
    admin = await add_user(uows, make_user("admin@example.com", role=Role.ADMIN))
    user = await add_user(uows, make_user("bob@example.com"))

    async with uows() as uow:
        assert await uow.users.get(admin.id) == admin
        assert await uow.users.get_by_email("bob@example.com") == user
        assert await uow.users.get_by_email("nobody@example.com") is None
        assert await uow.users.get(uuid7()) is None
        listed = await uow.users.list()

    loaded_admin = next(u for u in listed if u.id == admin.id)
    assert loaded_admin.role is Role.ADMIN
    assert loaded_admin.is_admin
    assert [u.email for u in listed] == ["admin@example.com", "bob@example.com"]


async def test_user_update(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    changed = dataclasses.replace(
        user, email="new@example.com", name="Grace", password_hash="h2", role=Role.ADMIN
    )
    async with uows() as uow:
        await uow.users.update(changed)
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get(user.id) == changed


async def test_duplicate_email_is_conflict_and_transaction_stays_usable(
    uows: SqlUnitOfWorkFactory,
) -> None:
    first = await add_user(uows, make_user("taken@example.com"))
    duplicate = make_user("taken@example.com")
    other = make_user("free@example.com")

    async with uows() as uow:
        with pytest.raises(Conflict) as raised:
            await uow.users.add(duplicate)
        assert raised.value.code == "email_taken"
        # The failed insert did not poison the transaction.
        await uow.users.add(other)
        assert await uow.users.get_by_email("taken@example.com") == first
        await uow.commit()

    async with uows() as uow:
        assert await uow.users.get(other.id) == other
        assert await uow.users.get(duplicate.id) is None
        assert await uow.users.get_by_email("taken@example.com") == first


async def test_session_add_get_touch_delete(uows: SqlUnitOfWorkFactory) -> None:
    user = await add_user(uows)
    session = Session(
        token_hash="a" * 64,
        user_id=user.id,
        created_at=NOW,
        last_seen_at=NOW,
        expires_at=NOW + timedelta(days=30),
        idle_expires_at=NOW + timedelta(days=1),
    )
    async with uows() as uow:
        await uow.sessions.add(session)
        await uow.commit()

    async with uows() as uow:
        assert await uow.sessions.get(session.token_hash) == session
        assert await uow.sessions.get("b" * 64) is None

    later = NOW + timedelta(hours=3, microseconds=7)
    async with uows() as uow:
        await uow.sessions.touch(
            session.token_hash, last_seen_at=later, idle_expires_at=later + timedelta(days=1)
        )
        await uow.commit()

    async with uows() as uow:
        touched = await uow.sessions.get(session.token_hash)
    assert touched == dataclasses.replace(
        session, last_seen_at=later, idle_expires_at=later + timedelta(days=1)
    )

    async with uows() as uow:
        await uow.sessions.delete(session.token_hash)
        await uow.sessions.delete("c" * 64)  # absent: not an error
        await uow.commit()

    async with uows() as uow:
        assert await uow.sessions.get(session.token_hash) is None


# --- generations ---------------------------------------------------------------------


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


# --- scans and listens ---------------------------------------------------------------


async def test_playback_events_counts(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    busy, listened, quiet = (make_generation(owner.id) for _ in range(3))
    await add_generations(uows, busy, listened, quiet)

    def event(generation: Generation, kind: PlaybackEventKind) -> PlaybackEvent:
        return PlaybackEvent(
            id=uuid7(),
            generation_id=generation.id,
            kind=kind,
            occurred_at=NOW,
            user_agent="Mozilla/5.0 (Test)",
        )

    async with uows() as uow:
        for item in (
            event(busy, PlaybackEventKind.SCAN),
            event(busy, PlaybackEventKind.SCAN),
            event(busy, PlaybackEventKind.LISTEN),
            event(listened, PlaybackEventKind.LISTEN),
            PlaybackEvent(
                id=uuid7(),
                generation_id=listened.id,
                kind=PlaybackEventKind.LISTEN,
                occurred_at=NOW,
            ),
        ):
            await uow.playback_events.add(item)
        await uow.commit()

    unknown = uuid7()
    async with uows() as uow:
        counts = await uow.playback_events.counts([busy.id, listened.id, quiet.id, unknown])
        some = await uow.playback_events.counts([listened.id])
        none = await uow.playback_events.counts([])

    assert counts == {
        busy.id: PlaybackCounts(scans=2, listens=1),
        listened.id: PlaybackCounts(scans=0, listens=2),
        quiet.id: PlaybackCounts(scans=0, listens=0),
        unknown: PlaybackCounts(scans=0, listens=0),
    }
    assert some == {listened.id: PlaybackCounts(scans=0, listens=2)}
    assert none == {}


# --- the unit of work ----------------------------------------------------------------


async def test_unit_of_work_rolls_back_unless_committed(uows: SqlUnitOfWorkFactory) -> None:
    forgotten = make_user()
    async with uows() as uow:
        await uow.users.add(forgotten)

    failed = make_user()

    async def add_then_fail() -> None:
        async with uows() as uow:
            await uow.users.add(failed)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()

    # Work after a commit is a new transaction, rolled back too unless committed.
    kept, after_commit = make_user(), make_user()
    async with uows() as uow:
        await uow.users.add(kept)
        await uow.commit()
        await uow.users.add(after_commit)

    async with uows() as uow:
        assert await uow.users.get(forgotten.id) is None
        assert await uow.users.get(failed.id) is None
        assert await uow.users.get(kept.id) == kept
        assert await uow.users.get(after_commit.id) is None
        assert [u.id for u in await uow.users.list()] == [kept.id]


async def test_concurrent_claims_exactly_one_wins(
    uows: SqlUnitOfWorkFactory, database_url: str
) -> None:
    owner = await add_user(uows)
    generation = make_generation(owner.id)
    await add_generations(uows, generation)
    # On PostgreSQL both read the pending row before either saves; on SQLite BEGIN
    # IMMEDIATE makes the second unit of work wait for the first, so no rendezvous.
    on_postgres = database_url.startswith("postgresql")
    both_read = asyncio.Barrier(2) if on_postgres else None

    async def claim() -> str:
        try:
            async with uows() as uow:
                current = await uow.generations.get(generation.id)
                assert current is not None
                if both_read is not None:
                    await both_read.wait()
                current.claim(NOW, LEASE)
                await uow.generations.update(current)
                await uow.commit()
        except Conflict as error:
            return error.code
        return "won"

    outcomes = await asyncio.wait_for(asyncio.gather(claim(), claim()), timeout=20)

    assert outcomes.count("won") == 1
    (lost,) = [o for o in outcomes if o != "won"]
    if on_postgres:
        assert lost == "stale_generation"
    else:
        assert lost in ("stale_generation", "illegal_transition")
    async with uows() as uow:
        loaded = await uow.generations.get(generation.id)
    assert loaded is not None
    assert loaded.status is GenerationStatus.PROCESSING
    assert loaded.attempts == 1
    assert loaded.version == 1
