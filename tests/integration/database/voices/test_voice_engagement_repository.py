"""Favorites, reviews and voice use on SQLite and PostgreSQL: one star and one review per
person per voice, ratings grouped in one query, and rows that go with their person and
voice."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import delete, func, select

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from tests.integration.database.voices.test_voice_repository import make_voice
from voiceqr.adapters.database import accounts, voices
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.adapters.database.voice_engagement import voice_favorites, voice_reviews
from voiceqr.application.generations.generations import first_revision
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.reviews import RatingSummary, VoiceReview
from voiceqr.domain.voices.voice import Voice


async def add_voice(uows: SqlUnitOfWorkFactory, name: str = "Aria") -> Voice:
    voice = make_voice(name)
    async with uows() as uow:
        await uow.voices.add(voice)
        await uow.commit()
    return voice


def make_review(user: User, voice: Voice, rating: int = 4, **changes: object) -> VoiceReview:
    review = VoiceReview(
        id=uuid7(),
        voice_id=voice.id,
        user_id=user.id,
        rating=rating,
        text="Warm ☕",
        created_at=NOW,
        updated_at=NOW,
    )
    return dataclasses.replace(review, **changes)


async def add_reviews(uows: SqlUnitOfWorkFactory, *reviews: VoiceReview) -> None:
    async with uows() as uow:
        for review in reviews:
            await uow.voice_reviews.add(review)
        await uow.commit()


async def count(uows: SqlUnitOfWorkFactory, table: object) -> int:
    async with uows.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]


async def test_a_star_is_stored_once_and_removed_once(uows: SqlUnitOfWorkFactory) -> None:
    ann = await add_user(uows)
    aria, zoe = await add_voice(uows, "Aria"), await add_voice(uows, "Zoe")
    async with uows() as uow:
        assert await uow.voice_favorites.add(ann.id, aria.id, at=NOW)
        assert not await uow.voice_favorites.add(ann.id, aria.id, at=NOW + timedelta(1))
        assert await uow.voice_favorites.add(ann.id, zoe.id, at=NOW + timedelta(seconds=1))
        await uow.commit()

    async with uows() as uow:
        assert await uow.voice_favorites.voice_ids(ann.id) == [zoe.id, aria.id]
        assert await uow.voice_favorites.remove(ann.id, aria.id)
        assert not await uow.voice_favorites.remove(ann.id, aria.id)
        await uow.commit()
    async with uows() as uow:
        assert await uow.voice_favorites.voice_ids(ann.id) == [zoe.id]
        assert await uow.voice_favorites.voice_ids(uuid7()) == []


async def test_one_review_per_person_per_voice_and_edits_keep_created_at(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    aria = await add_voice(uows)
    review = make_review(ann, aria, rating=2)
    await add_reviews(uows, review, make_review(bob, aria))

    async with uows() as uow:
        with pytest.raises(Conflict) as error:
            await uow.voice_reviews.add(make_review(ann, aria, rating=5))
        assert error.value.code == "review_exists"
        # The refusal leaves the transaction usable (a savepoint on PostgreSQL).
        review.revise(rating=5, text="Better now.", now=NOW + timedelta(hours=1))
        await uow.voice_reviews.update(review)
        await uow.commit()

    async with uows() as uow:
        stored = await uow.voice_reviews.get_own(ann.id, aria.id)
        assert await uow.voice_reviews.get_own(ann.id, uuid7()) is None
        bobs = await uow.voice_reviews.get_own(bob.id, aria.id)
    assert stored == review
    assert stored is not None
    assert (stored.created_at, stored.updated_at) == (NOW, NOW + timedelta(hours=1))
    assert bobs is not None
    assert (bobs.rating, bobs.text) == (4, "Warm ☕")


async def test_the_database_refuses_a_rating_outside_one_to_five(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """A last line behind the domain's own check."""
    ann = await add_user(uows)
    aria = await add_voice(uows)
    review = make_review(ann, aria)
    review.rating = 6  # past the domain's check, as a bug might
    with pytest.raises(Conflict):
        await add_reviews(uows, review)
    assert await count(uows, voice_reviews) == 0


async def test_reviews_are_listed_newest_first_with_first_names_and_hidden_ones_apart(
    uows: SqlUnitOfWorkFactory,
) -> None:
    aria = await add_voice(uows)
    people = [await add_user(uows) for _ in range(4)]
    reviews = [
        make_review(person, aria, created_at=NOW + timedelta(minutes=i))
        for i, person in enumerate(people)
    ]
    reviews[1].hide("Spam", now=NOW)
    await add_reviews(uows, *reviews)

    async with uows() as uow:
        shown = await uow.voice_reviews.list_for_voice(aria.id, include_hidden=False, limit=10)
        everything = await uow.voice_reviews.list_for_voice(aria.id, include_hidden=True, limit=10)
        after = HistoryPosition(reviews[2].created_at, reviews[2].id)
        older = await uow.voice_reviews.list_for_voice(
            aria.id, include_hidden=True, limit=10, after=after
        )
        first = await uow.voice_reviews.list_for_voice(aria.id, include_hidden=True, limit=1)
        moderated = await uow.voice_reviews.get_of_voice(reviews[1].id, aria.id)
        elsewhere = await uow.voice_reviews.get_of_voice(reviews[1].id, uuid7())

    assert [listed.review.id for listed in shown] == [
        r.id for r in (reviews[3], reviews[2], reviews[0])
    ]
    assert [listed.review.id for listed in everything] == [r.id for r in reversed(reviews)]
    assert {listed.reviewer for listed in everything} == {"Ada"}  # "Ada Lovelace", no email
    assert [listed.review.id for listed in older] == [reviews[1].id, reviews[0].id]
    assert [listed.review.id for listed in first] == [reviews[3].id]
    assert moderated is not None
    assert moderated.review.is_hidden
    assert moderated.review.hidden_reason == "Spam"
    assert elsewhere is None


async def test_ratings_of_many_voices_in_one_query_leave_hidden_reviews_out(
    uows: SqlUnitOfWorkFactory,
) -> None:
    aria, zoe, unrated = [await add_voice(uows, n) for n in ("Aria", "Zoe", "Unrated")]
    people = [await add_user(uows) for _ in range(3)]
    hidden = make_review(people[2], aria, rating=1)
    hidden.hide("Spam", now=NOW)
    await add_reviews(
        uows,
        make_review(people[0], aria, rating=5),
        make_review(people[1], aria, rating=4),
        hidden,
        make_review(people[0], zoe, rating=3),
    )

    async with uows() as uow:
        ratings = await uow.voice_reviews.ratings([aria.id, zoe.id, unrated.id])
        assert await uow.voice_reviews.ratings([]) == {}

    assert ratings == {aria.id: RatingSummary(4.5, 2), zoe.id: RatingSummary(3.0, 1)}


async def test_voice_use_counts_audio_made_in_any_revision_of_ones_own_generations(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    aria, zoe, failed_voice = [await add_voice(uows, n) for n in ("Aria", "Zoe", "Failed")]
    made = make_generation(ann.id, voice_id=aria.id, status=GenerationStatus.COMPLETED)
    failed = make_generation(ann.id, voice_id=failed_voice.id, status=GenerationStatus.FAILED)
    await add_generations(uows, made, failed)
    done = first_revision(made)
    done.complete(audio_key="a.mp3", audio_bytes=10, now=NOW)
    remade = dataclasses.replace(first_revision(made), id=uuid7(), number=2, voice_id=zoe.id)
    remade.complete(audio_key="z.mp3", audio_bytes=10, now=NOW)
    async with uows() as uow:
        for revision in (done, remade, first_revision(failed)):
            await uow.generation_revisions.add(revision)
        await uow.commit()

    async with uows() as uow:
        assert await uow.voice_use.completed_with(ann.id, aria.id)
        assert await uow.voice_use.completed_with(ann.id, zoe.id)  # an edit's voice counts
        assert not await uow.voice_use.completed_with(ann.id, failed_voice.id)
        assert not await uow.voice_use.completed_with(bob.id, aria.id)  # not someone else's


async def delete_row(uows: SqlUnitOfWorkFactory, table: object, row_id: UUID) -> None:
    async with uows.engine.begin() as connection:
        await connection.execute(delete(table).where(table.c.id == row_id))  # type: ignore[arg-type, attr-defined]


async def test_stars_and_reviews_go_with_their_person_and_with_their_voice(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    aria, zoe = await add_voice(uows, "Aria"), await add_voice(uows, "Zoe")
    async with uows() as uow:
        for person in (ann, bob):
            for voice in (aria, zoe):
                await uow.voice_favorites.add(person.id, voice.id, at=NOW)
                await uow.voice_reviews.add(make_review(person, voice))
        await uow.commit()

    await delete_row(uows, accounts.users, ann.id)
    assert (await count(uows, voice_favorites), await count(uows, voice_reviews)) == (2, 2)
    await delete_row(uows, voices.voices, aria.id)
    assert (await count(uows, voice_favorites), await count(uows, voice_reviews)) == (1, 1)
    async with uows() as uow:
        assert await uow.voice_favorites.voice_ids(bob.id) == [zoe.id]
        assert await uow.voice_reviews.get_own(bob.id, zoe.id) is not None
