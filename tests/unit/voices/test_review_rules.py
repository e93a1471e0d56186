"""What a rating and a review may be, and how staff hide one: the rules of the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import control_character, is_blank
from voiceqr.domain.voices.reviews import (
    MAX_REVIEW_CHARACTERS,
    VoiceReview,
    check_rating,
    clean_hiding_reason,
    clean_review_text,
    reviewer_name,
)

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def review(rating: int = 4, text: str = "Warm and clear.") -> VoiceReview:
    return VoiceReview(
        id=uuid7(),
        voice_id=uuid7(),
        user_id=uuid7(),
        rating=rating,
        text=text,
        created_at=NOW,
        updated_at=NOW,
    )


@given(st.integers())
def test_a_rating_is_one_to_five_whole_stars(rating: int) -> None:
    if 1 <= rating <= 5:
        assert check_rating(rating) == rating
    else:
        with pytest.raises(ValidationError) as error:
            check_rating(rating)
        assert error.value.code == "rating_out_of_range"


@pytest.mark.parametrize("not_stars", [True, 4.5, "4"])
def test_a_rating_is_a_whole_number_not_a_flag_fraction_or_text(not_stars: object) -> None:
    with pytest.raises(ValidationError) as error:
        check_rating(not_stars)  # type: ignore[arg-type]  (what a careless caller might send)
    assert error.value.code == "rating_not_a_number"


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=MAX_REVIEW_CHARACTERS + 50))
def test_review_text_is_kept_trimmed_and_within_the_limit_or_refused(text: str) -> None:
    stripped = text.strip()
    if is_blank(stripped):
        assert clean_review_text(text) == ""
    elif control_character(stripped, multiline=True) is not None:
        with pytest.raises(ValidationError, match="control character"):
            clean_review_text(text)
    elif len(stripped) > MAX_REVIEW_CHARACTERS:
        with pytest.raises(ValidationError, match="at most 1,000 characters"):
            clean_review_text(text)
    else:
        assert clean_review_text(text) == stripped


def test_review_text_is_optional_and_blank_words_are_no_words() -> None:
    assert clean_review_text("") == ""
    assert clean_review_text(" \n\u200b\t ") == ""
    assert clean_review_text("  Lovely.\nWould use again.  ") == "Lovely.\nWould use again."


def test_a_review_of_exactly_the_limit_is_kept_one_more_character_is_refused() -> None:
    assert len(clean_review_text("a" * MAX_REVIEW_CHARACTERS)) == MAX_REVIEW_CHARACTERS
    with pytest.raises(ValidationError) as error:
        clean_review_text("a" * (MAX_REVIEW_CHARACTERS + 1))
    assert error.value.code == "review_too_long"
    assert "1,000" in error.value.message


def test_revising_a_review_replaces_rating_and_text_and_keeps_when_it_was_first_written() -> None:
    written = review(rating=2, text="Too fast.")
    later = NOW + timedelta(days=1)

    written.revise(rating=5, text="  Better on a second listen. ", now=later)

    assert (written.rating, written.text) == (5, "Better on a second listen.")
    assert (written.created_at, written.updated_at) == (NOW, later)
    with pytest.raises(ValidationError):
        written.revise(rating=6, text="", now=later)


def test_a_hidden_review_stays_hidden_when_its_author_edits_it() -> None:
    written = review()
    written.hide("  Insults another user. ", now=NOW)
    assert written.is_hidden
    assert written.hidden_reason == "Insults another user."

    written.revise(rating=1, text="Edited", now=NOW + timedelta(hours=1))
    assert written.is_hidden

    written.show()
    assert not written.is_hidden
    assert written.hidden_reason == ""


@pytest.mark.parametrize(
    ("reason", "code"), [("  ", "reason_blank"), ("x" * 501, "reason_too_long")]
)
def test_hiding_needs_a_reason_of_one_short_line(reason: str, code: str) -> None:
    with pytest.raises(ValidationError) as error:
        clean_hiding_reason(reason)
    assert error.value.code == code
    with pytest.raises(ValidationError):
        clean_hiding_reason("spam\nspam")


@pytest.mark.parametrize(
    ("name", "shown"),
    [("Ada Lovelace", "Ada"), ("  Grace  ", "Grace"), ("", "A user"), ("   ", "A user")],
)
def test_a_reviewer_is_named_by_first_name_only(name: str, shown: str) -> None:
    assert reviewer_name(name) == shown
