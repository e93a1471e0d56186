"""Titles of generations: the owner's, or the first words of the text, on in-memory fakes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services
from voiceqr.application.generations.revisions import Edit
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.generations.titles import (
    DEFAULT_TITLE_LENGTH,
    MAX_TITLE_LENGTH,
    clean_title,
    default_title,
)
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.text import is_blank
from voiceqr.domain.voices.voice import Voice

TOUR = "Welcome to the east wing. The paintings here were made between 1890 and 1910."


# --- the rules ------------------------------------------------------------------------------


def test_a_short_text_is_its_own_title() -> None:
    assert default_title("  Room 4:\n the Dutch masters  ") == "Room 4: the Dutch masters"


def test_a_long_text_is_titled_by_its_first_whole_words_and_an_ellipsis() -> None:
    title = default_title(TOUR)
    assert title == "Welcome to the east wing. The paintings here were made…"
    assert len(title) <= DEFAULT_TITLE_LENGTH


def test_a_first_word_longer_than_a_title_is_cut() -> None:
    assert default_title("x" * 500) == "x" * (DEFAULT_TITLE_LENGTH - 1) + "…"


def test_words_that_show_nothing_are_left_out_of_the_default_title() -> None:
    assert default_title("\u200b Hello \u200b there") == "Hello there"


def test_a_given_title_is_trimmed_and_kept_on_one_line() -> None:
    assert clean_title("  East   wing \u00a0tour ") == "East wing tour"


@pytest.mark.parametrize("blank", ["", "   ", "\u200b", None])
def test_a_blank_title_means_the_first_words_of_the_text(blank: str | None) -> None:
    assert clean_title(blank) is None


def test_a_title_longer_than_the_limit_is_refused_with_its_length() -> None:
    with pytest.raises(ValidationError) as refused:
        clean_title("a" * (MAX_TITLE_LENGTH + 1))
    assert refused.value.code == "title_too_long"
    assert str(MAX_TITLE_LENGTH + 1) in refused.value.message


def test_a_title_with_a_control_character_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        clean_title("Tour\nof the wing")
    assert refused.value.code == "control_characters"


@given(st.text(min_size=1, max_size=400).filter(lambda t: not is_blank(t)))
def test_the_default_title_of_any_text_with_something_to_read_is_never_empty_and_fits(
    text: str,
) -> None:
    title = default_title(text)
    assert title
    assert not is_blank(title)
    assert len(title) <= DEFAULT_TITLE_LENGTH
    assert "\n" not in title
    assert title == title.strip()


@given(st.text(max_size=MAX_TITLE_LENGTH * 2))
def test_a_cleaned_title_is_none_or_fits_on_one_line(title: str) -> None:
    try:
        cleaned = clean_title(title)
    except ValidationError:
        return
    if cleaned is not None:
        assert 0 < len(cleaned) <= MAX_TITLE_LENGTH
        assert "\n" not in cleaned


# --- the use cases --------------------------------------------------------------------------


async def test_a_generation_requested_with_a_title_is_called_by_it(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id, title=" East wing ")
    stored = s.db.generation(made.id)
    assert (stored.title, stored.shown_title) == ("East wing", "East wing")


async def test_a_generation_without_a_title_is_called_by_its_first_words(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id)
    assert s.db.generation(made.id).title is None
    assert s.db.generation(made.id).shown_title == default_title(TOUR)


async def test_a_title_too_long_is_refused_before_anything_is_written(
    s: Services, owner: User, voice: Voice
) -> None:
    with pytest.raises(ValidationError):
        await s.generations.request(owner, text=TOUR, voice_id=voice.id, title="t" * 101)
    assert s.db.generations == {}
    assert s.queue.enqueued == []


async def test_renaming_makes_nothing_again_and_works_while_the_audio_is_being_made(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id)
    queued = s.queue.take()
    # A worker reads the row, then the owner renames it before the worker saves.
    async with s.uow() as uow:
        busy = await uow.generations.get(made.id)
    assert busy is not None

    renamed = await s.generation_revisions.edit(owner, made.id, Edit(title="East wing"))

    assert (renamed.title, renamed.revision) == ("East wing", 1)
    assert s.queue.enqueued == []  # nothing was handed over again
    async with s.uow() as uow:  # the worker's save neither conflicts nor undoes the title
        await uow.generations.update(busy)
        await uow.commit()
    assert s.db.generation(made.id).title == "East wing"
    for generation_id in queued:
        await s.generations.process(generation_id)
    done = s.db.generation(made.id)
    assert (done.status, done.title) == (GenerationStatus.COMPLETED, "East wing")


async def test_a_blank_title_goes_back_to_the_first_words_of_the_text(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id, title="East wing")
    renamed = await s.generation_revisions.edit(owner, made.id, Edit(title=""))
    assert renamed.title is None
    assert s.db.generation(made.id).shown_title == default_title(TOUR)


async def test_an_edit_of_the_text_and_the_title_saves_both(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id)
    for generation_id in s.queue.take():
        await s.generations.process(generation_id)

    edited = await s.generation_revisions.edit(
        owner, made.id, Edit(text="The west wing is open.", title="West wing")
    )

    stored = s.db.generation(made.id)
    assert (edited.revision, stored.revision, stored.title) == (2, 2, "West wing")
    assert stored.text == "The west wing is open."


async def test_an_edit_with_nothing_in_it_is_refused(
    s: Services, owner: User, voice: Voice
) -> None:
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id)
    with pytest.raises(ValidationError) as refused:
        await s.generation_revisions.edit(owner, made.id, Edit())
    assert refused.value.code == "nothing_to_change"


async def test_a_deleted_or_someone_elses_generation_cannot_be_renamed(
    s: Services, owner: User, voice: Voice
) -> None:
    stranger = s.add_user("stranger@example.com")
    made = await s.generations.request(owner, text=TOUR, voice_id=voice.id, title="Mine")
    with pytest.raises(NotFound):
        await s.generation_revisions.edit(stranger, made.id, Edit(title="Theirs"))
    await s.generations.delete(owner, made.id)
    with pytest.raises(NotFound):
        await s.generation_revisions.edit(owner, made.id, Edit(title="Gone"))
    assert s.db.generation(made.id).title == "Mine"
