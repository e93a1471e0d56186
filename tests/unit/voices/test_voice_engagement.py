"""Favorites, ratings and reviews of voices, through the platform on fakes."""

from __future__ import annotations

import copy

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.voices.engagement import VoiceEngagement
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import (
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.reviews import NO_RATINGS, RatingSummary, VoiceReview
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def engagement(s: Services) -> VoiceEngagement:
    return s.platform.voice_engagement


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann Smith")


@pytest.fixture
def bob(s: Services) -> User:
    return s.add_user("bob@example.com", name=" ")


@pytest.fixture
def moderator(s: Services) -> User:
    return s.add_user("mo@example.com", role=Role.MODERATOR)


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


async def made_audio_with(s: Services, user: User, voice: Voice) -> None:
    generation = await s.generations.request(user, text="Hello there.", voice_id=voice.id)
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).status is GenerationStatus.COMPLETED


# --- favorites ----------------------------------------------------------------------


async def test_starring_a_voice_twice_keeps_one_star_and_unstarring_twice_is_fine(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    await engagement.favorite(ann, voice.id)
    await engagement.favorite(ann, voice.id)
    assert await engagement.favorite_ids(ann) == {voice.id}
    assert len(s.db.voice_favorites) == 1

    await engagement.unfavorite(ann, voice.id)
    await engagement.unfavorite(ann, voice.id)
    assert await engagement.favorite_ids(ann) == set()


async def test_favorites_are_each_persons_own_most_recent_first(
    s: Services, engagement: VoiceEngagement, ann: User, bob: User, voice: Voice
) -> None:
    other = s.add_voice("Zoe")
    await engagement.favorite(ann, voice.id)
    s.clock.advance(1)
    await engagement.favorite(ann, other.id)
    await engagement.favorite(bob, other.id)

    assert await engagement.starred(ann) == [other.id, voice.id]
    assert await engagement.favorite_ids(bob) == {other.id}
    assert await engagement.favorite_ids(None) == set()


async def test_unknown_and_unpublished_voices_cannot_be_starred_but_voice_managers_can(
    s: Services, engagement: VoiceEngagement, ann: User
) -> None:
    draft = s.add_voice("Draft", published=False)
    admin = s.add_user("admin@example.com", role=Role.ADMIN)

    for voice_id in (uuid7(), draft.id):
        with pytest.raises(NotFound) as error:
            await engagement.favorite(ann, voice_id)
        assert error.value.code == "voice_not_found"
    assert s.db.voice_favorites == {}

    await engagement.favorite(admin, draft.id)
    assert await engagement.favorite_ids(admin) == {draft.id}


async def test_the_operator_has_no_account_to_star_with(
    engagement: VoiceEngagement, voice: Voice
) -> None:
    with pytest.raises(PermissionDenied) as error:
        await engagement.favorite(OPERATOR, voice.id)
    assert error.value.code == "account_required"


# --- writing a review ---------------------------------------------------------------


async def test_rating_a_voice_needs_audio_made_with_it(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    with pytest.raises(PermissionDenied) as error:
        await engagement.write_review(ann, voice.id, rating=5)
    assert error.value.code == "voice_not_used"
    assert "made audio with it" in error.value.message

    other = s.add_voice("Zoe")
    await made_audio_with(s, ann, other)  # another voice does not count
    with pytest.raises(PermissionDenied):
        await engagement.write_review(ann, voice.id, rating=5)
    assert s.db.voice_reviews == {}


async def test_a_generation_that_only_failed_does_not_count_a_deleted_completed_one_does(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    s.speech["espeak"].then(
        SpeechError("Broken.", category=ErrorCategory.PROVIDER, code="broken", retryable=False)
    )
    failed = await s.generations.request(ann, text="Hello.", voice_id=voice.id)
    await s.generations.process(failed.id)
    assert s.db.generation(failed.id).status is GenerationStatus.FAILED
    with pytest.raises(PermissionDenied):
        await engagement.write_review(ann, voice.id, rating=3)

    done = await s.generations.request(ann, text="Hello again.", voice_id=voice.id)
    await s.generations.process(done.id)
    await s.generations.delete(ann, done.id)
    review, created = await engagement.write_review(ann, voice.id, rating=3)
    assert created
    assert review.rating == 3


async def test_writing_again_edits_the_one_review_keeping_when_it_was_first_written(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    await made_audio_with(s, ann, voice)
    first, created = await engagement.write_review(ann, voice.id, rating=2, text="  Too fast. ")
    assert created
    assert first.text == "Too fast."
    written_at = s.clock()
    s.clock.advance(60)

    second, created = await engagement.write_review(ann, voice.id, rating=5, text="")
    assert not created
    assert second.id == first.id
    assert (second.rating, second.text) == (5, "")
    assert (second.created_at, second.updated_at) == (written_at, s.clock())
    assert len(s.db.voice_reviews) == 1
    assert await engagement.own_review(ann, voice.id) == second


async def test_bad_ratings_and_too_long_words_are_refused_and_nothing_is_written(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    await made_audio_with(s, ann, voice)
    commits = s.uow.commits
    for rating, text in ((0, ""), (6, ""), (4, "x" * 1001), (4, "bad\x00byte")):
        with pytest.raises(ValidationError):
            await engagement.write_review(ann, voice.id, rating=rating, text=text)
    assert s.db.voice_reviews == {}
    assert s.uow.commits == commits


async def test_another_persons_review_is_never_touched_by_writing_ones_own(
    s: Services, engagement: VoiceEngagement, ann: User, bob: User, voice: Voice
) -> None:
    await made_audio_with(s, ann, voice)
    await made_audio_with(s, bob, voice)
    anns, _ = await engagement.write_review(ann, voice.id, rating=5, text="Ann's words")
    before = copy.deepcopy(s.db.voice_reviews[anns.id])

    bobs, created = await engagement.write_review(bob, voice.id, rating=1, text="Bob's words")

    assert created
    assert bobs.id != anns.id
    assert s.db.voice_reviews[anns.id] == before


async def test_own_review_is_not_found_before_writing_one(
    engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    with pytest.raises(NotFound) as error:
        await engagement.own_review(ann, voice.id)
    assert error.value.code == "review_not_found"


# --- listing, ratings, hiding -------------------------------------------------------


async def reviewed(
    s: Services, engagement: VoiceEngagement, voice: Voice, *ratings: int
) -> list[VoiceReview]:
    reviews = []
    for i, rating in enumerate(ratings):
        user = s.add_user(f"user{i}@example.com", name=f"Person{i} Surname")
        await made_audio_with(s, user, voice)
        s.clock.advance(1)
        review, _ = await engagement.write_review(user, voice.id, rating=rating, text=f"#{i}")
        reviews.append(review)
    return reviews


async def test_reviews_are_listed_newest_first_in_pages_by_first_name_only(
    s: Services, engagement: VoiceEngagement, ann: User, bob: User, voice: Voice
) -> None:
    await reviewed(s, engagement, voice, 5, 4, 3)
    await made_audio_with(s, bob, voice)
    s.clock.advance(1)
    await engagement.write_review(bob, voice.id, rating=2)

    first = await engagement.reviews(ann, voice.id, limit=2)
    assert [(i.reviewer, i.review.rating) for i in first.items] == [("A user", 2), ("Person2", 3)]
    assert first.next_cursor is not None
    second = await engagement.reviews(ann, voice.id, cursor=first.next_cursor, limit=2)
    assert [i.reviewer for i in second.items] == ["Person1", "Person0"]
    assert second.next_cursor is None

    with pytest.raises(ValidationError):
        await engagement.reviews(ann, voice.id, limit=0)
    with pytest.raises(ValidationError) as error:
        await engagement.reviews(ann, voice.id, cursor="not-ours")
    assert error.value.code == "invalid_cursor"


async def test_ratings_of_many_voices_come_together_without_hidden_reviews(
    s: Services, engagement: VoiceEngagement, moderator: User, voice: Voice
) -> None:
    unrated = s.add_voice("Zoe")
    reviews = await reviewed(s, engagement, voice, 5, 4, 1)

    assert await engagement.ratings([voice.id, unrated.id]) == {
        voice.id: RatingSummary(average=10 / 3, count=3),
        unrated.id: NO_RATINGS,
    }
    await engagement.set_hidden(moderator, voice.id, reviews[2].id, hidden=True, reason="Spam")
    assert (await engagement.ratings([voice.id]))[voice.id] == RatingSummary(4.5, 2)
    assert await engagement.ratings([]) == {}


async def test_a_moderator_hides_a_review_with_a_reason_audited_and_shows_it_again(
    s: Services, engagement: VoiceEngagement, ann: User, moderator: User, voice: Voice
) -> None:
    [review] = await reviewed(s, engagement, voice, 1)

    hidden = await engagement.set_hidden(
        moderator, voice.id, review.id, hidden=True, reason=" Insults ", ip="203.0.113.9"
    )
    assert hidden.review.is_hidden
    assert hidden.review.hidden_reason == "Insults"
    assert (await engagement.reviews(ann, voice.id)).items == []
    assert [i.review.id for i in (await engagement.reviews(moderator, voice.id)).items] == [
        review.id
    ]
    [entry] = s.db.audit_events
    assert (entry.action, entry.actor, entry.target_id) == (
        "voice_review.hide",
        "mo@example.com",
        str(review.id),
    )
    assert entry.details["reason"] == "Insults"
    assert entry.ip == "203.0.113.9"

    await engagement.set_hidden(moderator, voice.id, review.id, hidden=True, reason="Again")
    assert len(s.db.audit_events) == 1  # hiding a hidden review changes and records nothing

    await engagement.set_hidden(moderator, voice.id, review.id, hidden=False, reason="Appealed")
    assert [i.review.id for i in (await engagement.reviews(ann, voice.id)).items] == [review.id]
    assert [e.action for e in s.db.audit_events] == ["voice_review.hide", "voice_review.show"]


async def test_users_cannot_hide_reviews_and_staff_need_a_reason_and_the_right_voice(
    s: Services, engagement: VoiceEngagement, ann: User, moderator: User, voice: Voice
) -> None:
    [review] = await reviewed(s, engagement, voice, 1)
    support = s.add_user("help@example.com", role=Role.SUPPORT)
    before = copy.deepcopy(s.db.voice_reviews)

    for person in (ann, support):
        with pytest.raises(PermissionDenied):
            await engagement.set_hidden(person, voice.id, review.id, hidden=True, reason="Mine")
    with pytest.raises(ValidationError) as error:
        await engagement.set_hidden(moderator, voice.id, review.id, hidden=True, reason=" ")
    assert error.value.code == "reason_blank"
    with pytest.raises(NotFound):
        await engagement.set_hidden(
            moderator, s.add_voice("Zoe").id, review.id, hidden=True, reason="Spam"
        )
    assert s.db.voice_reviews == before
    assert s.db.audit_events == []


async def test_standings_give_each_card_its_rating_and_the_viewers_star(
    s: Services, engagement: VoiceEngagement, ann: User, voice: Voice
) -> None:
    other = s.add_voice("Zoe")
    await reviewed(s, engagement, voice, 4)
    await engagement.favorite(ann, other.id)

    standings = await engagement.standings(ann, [voice.id, other.id])
    assert standings[voice.id].rating == RatingSummary(4.0, 1)
    assert not standings[voice.id].favorite
    assert standings[other.id].favorite
    assert standings[other.id].rating == NO_RATINGS
    assert not (await engagement.standings(None, [other.id]))[other.id].favorite
