# ruff: noqa: RUF001, RUF002  (look-alike letters are what this module is about)
"""The matching key of a text: what is left once the usual tricks to slip a word
past a filter are undone.

A word list entry and a text are both put through `normalised_forms`, and an entry
matches when its words appear, in order and next to each other, among the text's
words. The key is for matching only; nobody reads it.

The steps, in order, and the trick each one undoes:

1. Unicode NFKC and case folding: full-width letters, ligatures, styled
   mathematical letters, upper case ("ＳＰＡＭ", "ﬁ", "𝐬𝐩𝐚𝐦", "SPAM").
2. Look-alike letters from other scripts become the Latin letter they imitate
   (Cyrillic "ѕраm", Greek "ѕραм"), from the small table below: the venv has no
   maintained confusables package, and only letters that look the same in common
   fonts are listed, so real Cyrillic or Greek words are left alone.
3. Accents are dropped ("spåm").
4. Leetspeak: 0→o, 1→i (and, as a second form, 1→l), 3→e, 4→a, 5→s, 7→t, @→a, $→s.
5. Anything but letters and digits separates words; a run of single letters is one
   word again ("s p a m", "s.p.a.m", "s-p-a-m").
6. Repeated letters count once ("spaaaam"; the list entry "free" becomes "fre" too).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Cyrillic and Greek letters (lower case, after case folding) that look like a Latin one.
_LOOK_ALIKES: Final = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "ё": "e",
    "һ": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "т": "t",
    "у": "y",
    "ѵ": "v",
    "ԝ": "w",
    "х": "x",
    "г": "r",
    "п": "n",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "μ": "u",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
}
_LEET: Final = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# "1" stands for "i" or for "l": both readings are matched.
_ONE_READINGS: Final = ("i", "l")
# Look-alike letters and leetspeak in one table per reading of "1".
_SPELLINGS: Final = {
    one: str.maketrans({**_LOOK_ALIKES, **_LEET, "1": one}) for one in _ONE_READINGS
}
_WORD: Final = re.compile(r"[^\W_]+")  # letters and digits (str.isalnum), no underscore
_REPEATS: Final = re.compile(r"(.)\1+", re.DOTALL)


def normalise(text: str) -> str:
    """The matching key of `text` (with 1 read as i): lower-case Latin words, one
    space apart. Never raises; applying it twice changes nothing."""
    return _key(text, one=_ONE_READINGS[0])


def normalised_forms(text: str) -> tuple[str, ...]:
    """Every matching key of `text`: one per reading of the digit 1 when it has one."""
    return tuple(dict.fromkeys(_key(text, one=reading) for reading in _ONE_READINGS))


def words(key: str) -> tuple[str, ...]:
    """The words of a matching key."""
    return tuple(key.split())


def spaced_out_runs(text: str) -> tuple[str, ...]:
    """The words of `text` that were letters spaced apart ("s p a m" -> "spam"), in
    every reading of 1: such a run may hold a word among others ("u r s c u m"), so
    the filter looks for its entries inside them, not only equal to them."""
    runs = (run for one in _ONE_READINGS for run in _spelled(text, one=one)[1])
    return tuple(dict.fromkeys(runs))


def _key(text: str, *, one: str) -> str:
    return " ".join(_spelled(text, one=one)[0])


def _spelled(text: str, *, one: str) -> tuple[list[str], list[str]]:
    """The words of the matching key, and those of them joined from single letters."""
    bare = _fold(text)
    if not bare.isascii():  # plain ASCII has no accents to drop
        bare = _fold(
            "".join(c for c in unicodedata.normalize("NFD", bare) if not unicodedata.combining(c))
        )
    # Collapsed before the split, and each joined run again ("s p a a m").
    tokens = _WORD.findall(_collapse(bare.translate(_SPELLINGS[one])))
    return _join_single_letters(tokens)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _join_single_letters(tokens: list[str]) -> tuple[list[str], list[str]]:
    """ "s p a m" -> "spam": a run of two or more one-letter words is one word (with
    its repeated letters collapsed). Returns the words and the runs joined."""
    joined: list[str] = []
    runs: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) > 1:
            runs.append(_collapse("".join(run)))
            joined.append(runs[-1])
        elif run:
            joined.append(run[0])
        run = []
        if token:
            joined.append(token)
    return joined, runs


def _collapse(token: str) -> str:
    """ "spaaaam" -> "spam": a letter repeated next to itself counts once."""
    return _REPEATS.sub(r"\1", token)
