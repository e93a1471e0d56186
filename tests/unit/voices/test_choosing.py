"""Choosing a voice: the limits of a voice's fields, guessing what a text is, and
recommending voices for it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.choosing import guess_content, recommend
from voiceqr.domain.voices.voice import (
    PRIORITY_MAX,
    PRIORITY_MIN,
    TRAIT_MAX,
    USE_CASES,
    Voice,
    VoiceSample,
    check_labels,
)


def voice(name: str = "Sam", **fields: object) -> Voice:
    return Voice(id=uuid7(), name=name, provider="espeak", provider_voice_id="en-us", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("trait", ["type", "language", "region", "accent", "age", "style"])
def test_every_trait_has_one_limit(trait: str) -> None:
    assert getattr(voice(**{trait: "x" * TRAIT_MAX}), trait) == "x" * TRAIT_MAX
    with pytest.raises(ValidationError) as error:
        voice(**{trait: "x" * (TRAIT_MAX + 1)})
    assert error.value.code == "voice_field_too_long"


@pytest.mark.parametrize("priority", [PRIORITY_MIN - 1, PRIORITY_MAX + 1, 2**63, -(10**30)])
def test_a_priority_outside_its_range_is_refused(priority: int) -> None:
    with pytest.raises(ValidationError) as error:
        voice(priority=priority)
    assert error.value.code == "voice_priority_out_of_range"


def test_labels_are_trimmed_lower_case_and_kept_once() -> None:
    assert check_labels(["  Calm ", "CALM", "deep   voice"], what="tag") == ("calm", "deep voice")
    assert check_labels("solo", what="tag") == ("solo",)  # not ("s", "o", "l", "o")
    with pytest.raises(ValidationError):
        voice(use_cases=("narration", "karaoke"))
    assert voice(use_cases=("News", "news")).use_cases == ("news",)


def test_a_sample_has_an_id_a_label_and_a_duration() -> None:
    made = VoiceSample(id=uuid7(), key="samples/a.mp3")
    assert (made.label, made.duration_ms) == ("Sample", 0)
    with pytest.raises(ValidationError):
        VoiceSample(id=uuid7(), key="k", duration_ms=-1)


@pytest.mark.parametrize(
    ("text", "use_case", "language"),
    [
        ("Welcome to the museum. This painting is from the 18th century.", "museum-guide", "en"),
        ("Big sale today: buy one, get one free. Limited time offer!", "advertising", "en"),
        ("Once upon a time a little bunny lived in the woods.", "children", "en"),
        ("Attention please: the train on platform 4 is departing.", "announcements", "en"),
        ("Happy birthday, Grandma! Best wishes from all of us.", "greetings", "en"),
        ("Der Zug nach Berlin ist nicht pünktlich und die Fahrgäste warten.", None, "de"),
        ("Hi", None, None),
        ("", None, None),
        ("word " * 60, "narration", None),
        ("It was a dark night and the rain fell on the town. " * 40, "audiobook", "en"),
    ],
)
def test_what_a_text_is_for_is_guessed_from_its_words_and_length(
    text: str, use_case: str | None, language: str | None
) -> None:
    guess = guess_content(text)
    assert (guess.use_case, guess.language) == (use_case, language)


@given(st.text())
def test_guessing_never_fails_and_names_only_known_use_cases(text: str) -> None:
    guess = guess_content(text)
    assert guess.use_case is None or guess.use_case in (*USE_CASES, "audiobook")
    assert guess.language is None or len(guess.language) == 2


@given(
    st.lists(st.lists(st.sampled_from(USE_CASES), max_size=3), min_size=1, max_size=8),
    st.text(max_size=200),
)
def test_a_recommendation_reorders_and_puts_matching_voices_first(
    uses: list[list[str]], text: str
) -> None:
    voices = [voice(f"V{i}", use_cases=tuple(u)) for i, u in enumerate(uses)]
    wanted = USE_CASES[0]
    ranked = recommend(voices, content_type=wanted, sample_text=text)
    assert sorted(v.id for v in ranked) == sorted(v.id for v in voices)
    matching = [wanted in v.use_cases for v in ranked]
    assert matching == sorted(matching, reverse=True)
