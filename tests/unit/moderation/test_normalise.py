# ruff: noqa: RUF001  (look-alike letters are what this module is about)
"""The filter's matching key: the tricks people use to slip a word past it are undone."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.moderation.normalise import normalise, normalised_forms

latin_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12)
phrases = st.lists(latin_words, min_size=1, max_size=4).map(" ".join)
# Leetspeak a writer may use, each letter to the character that reads as it.
_LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7"}
_LOOK_ALIKES = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "s": "ѕ"}


@given(st.text())
def test_normalising_any_text_never_fails_and_twice_is_once(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    for form in normalised_forms(text):
        assert normalise(form) == form


@given(phrases)
def test_upper_case_and_full_width_letters_change_nothing(phrase: str) -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != " " else c for c in phrase.upper())
    assert normalise(phrase.upper()) == normalise(full_width) == normalise(phrase)


@given(latin_words, st.sampled_from([" ", ".", "-", "_", " . ", "*"]))
def test_letters_spaced_or_dotted_apart_read_as_the_word(word: str, gap: str) -> None:
    assert normalise(gap.join(word)) == normalise(word)


@given(latin_words, st.integers(min_value=2, max_value=6), st.data())
def test_a_letter_repeated_reads_as_the_word(word: str, times: int, data: st.DataObject) -> None:
    at = data.draw(st.integers(min_value=0, max_value=len(word) - 1))
    stretched = word[:at] + word[at] * times + word[at + 1 :]
    assert normalise(stretched) == normalise(word)


@given(phrases)
def test_leetspeak_reads_as_the_letters(phrase: str) -> None:
    leet = "".join(_LEET.get(c, c) for c in phrase)
    assert normalise(phrase) in normalised_forms(leet)


@given(phrases)
def test_cyrillic_look_alike_letters_read_as_latin(phrase: str) -> None:
    disguised = "".join(_LOOK_ALIKES.get(c, c) for c in phrase)
    assert normalise(disguised) == normalise(phrase)


@given(phrases)
def test_accents_do_not_hide_a_word(phrase: str) -> None:
    accented = "".join(c + "\u0301" if c.isalpha() else c for c in phrase)
    assert normalise(accented) == normalise(phrase)


@pytest.mark.parametrize(
    "disguised",
    [
        "SPAM",
        "s p a m",
        "s.p.a.m",
        "$p4m",
        "5p@m",
        "spaaaam",
        "ѕраm",
        "ＳＰＡＭ",
        "spåm",
        "S-P-A-M!",
    ],
)
def test_the_usual_disguises_of_a_word_all_read_as_it(disguised: str) -> None:
    assert normalise(disguised) == "spam"


def test_a_one_reads_as_i_and_as_l() -> None:
    assert set(normalised_forms("k1ll")) >= {normalise("kill")}
    assert set(normalised_forms("fi1thy")) >= {normalise("filthy")}


def test_ordinary_words_stay_apart() -> None:
    assert normalise("Hello, world. A class act!") == "helo world a clas act"
