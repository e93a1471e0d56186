"""Choosing a voice: searching and filtering the gallery, sorting it, and recommending
voices for a kind of content (named by the user or guessed from the text).

The gallery is a curated list (tens of voices, a few hundred at most), so these rules run
on the listed voices in memory: one definition for every database, and for the tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.voices.voice import USE_CASES, Voice


class VoiceSort(StrEnum):
    RECOMMENDED = "recommended"  # what suits the content first, then display priority
    POPULAR = "popular"  # most used, then most listened to
    NEWEST = "newest"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Popularity:
    """How much a voice is used: its generations, and the listens of their codes."""

    uses: int = 0
    listens: int = 0


@dataclass(frozen=True, slots=True)
class VoiceQuery:
    """What a user looks for in the gallery; an empty field does not filter."""

    text: str = ""  # in the name or the description, any case
    gender: str = ""
    language: str = ""
    accent: str = ""
    age: str = ""
    style: str = ""
    use_case: str = ""
    tag: str = ""
    category: str = ""
    sort: VoiceSort = VoiceSort.RECOMMENDED
    content_type: str = ""  # a use case the recommendation favours
    sample_text: str = ""  # a text from which the content type and language are guessed

    def __post_init__(self) -> None:
        if self.content_type and self.content_type not in USE_CASES:
            raise ValidationError(
                f"Unknown content type {self.content_type!r} (known: {', '.join(USE_CASES)}).",
                code="unknown_use_case",
            )

    def matches(self, voice: Voice) -> bool:
        wanted = self.text.casefold().strip()
        if wanted and wanted not in f"{voice.name}\n{voice.description}".casefold():
            return False
        for asked, value in (
            (self.gender, voice.type),
            (self.accent, voice.accent),
            (self.age, voice.age),
            (self.style, voice.style),
        ):
            if asked and asked.casefold().strip() != value.casefold():
                return False
        if self.language and not speaks(voice, self.language):
            return False
        return all(
            not asked or asked.strip().lower() in held
            for asked, held in (
                (self.use_case, voice.use_cases),
                (self.tag, voice.tags),
                (self.category, voice.categories),
            )
        )


@dataclass(frozen=True, slots=True)
class ContentGuess:
    """What a text seems to be: a use case and a language (ISO 639-1), each if known."""

    use_case: str | None = None
    language: str | None = None


# Language codes and the names the gallery may hold for them.
LANGUAGE_NAMES: Final = {
    "en": "english",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
}

_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Frequent short words of each language: enough of them tell a text's language.
_COMMON_WORDS: Final = {
    language: frozenset(words.split())
    for language, words in {
        "en": "the and of to is in it that you for with this are was on be one get your our "
        "we all from at by",
        "fr": "le la les et est un une des du que pour dans vous nous sur avec",
        "de": "der die das und ist ein eine nicht mit sie ich zu den von auf",
        "es": "el la los las y es un una que de para con por en del se",
        "it": "il lo la gli le e un una che di per con sono non del della",
        "nl": "de het een en is van dat niet met voor zijn op ik je",
        "pt": "o a os as e um uma que de para com não em do da",
    }.items()
}
# Words and phrases that give a use case away (English; matched on whole words).
_CUES: Final = {
    "museum-guide": (
        "museum",
        "exhibit",
        "exhibition",
        "gallery",
        "artwork",
        "painting",
        "sculpture",
        "century",
        "collection",
        "artist",
    ),
    "advertising": ("sale", "offer", "discount", "buy", "shop", "limited time", "order now"),
    "children": ("once upon a time", "bunny", "kids", "children", "fairy", "dragon", "teddy"),
    "announcements": (
        "attention",
        "please note",
        "passengers",
        "platform",
        "departing",
        "announcement",
        "closing",
    ),
    "news": ("breaking", "reported", "according to", "government", "minister", "headlines"),
    "education": ("lesson", "learn", "students", "chapter", "exercise", "homework"),
    "greetings": ("happy birthday", "congratulations", "merry", "best wishes", "anniversary"),
    "accessibility": ("entrance", "toilet", "lift", "elevator", "exit", "step-free"),
}
_AUDIOBOOK_LENGTH: Final = 1500  # characters: a text this long is read like a book
_NARRATION_LENGTH: Final = 200


def guess_content(text: str) -> ContentGuess:
    """The use case and language a text suggests, each None when nothing tells.

    Cue words decide the use case; without any, a long text is an audiobook and a
    medium one narration. The language is the one most of the text's common words
    belong to. Never raises, whatever the text.
    """
    lowered = text.casefold()
    words = _WORDS.findall(lowered)
    joined = f" {' '.join(words)} "
    scores = {
        use_case: sum(joined.count(f" {cue} ") for cue in cues) for use_case, cues in _CUES.items()
    }
    best = max(scores, key=lambda u: scores[u])
    length = len(text.strip())
    if scores[best]:
        use_case: str | None = best
    elif length >= _AUDIOBOOK_LENGTH:
        use_case = "audiobook"
    elif length >= _NARRATION_LENGTH:
        use_case = "narration"
    else:
        use_case = None
    counts = {lang: sum(w in common for w in words) for lang, common in _COMMON_WORDS.items()}
    language = max(counts, key=lambda lang: counts[lang])
    return ContentGuess(use_case=use_case, language=language if counts[language] else None)


def speaks(voice: Voice, language: str) -> bool:
    """Whether the voice's language is `language`, named by code ("en", "en-GB") or name."""
    asked = language.casefold().strip()
    held = voice.language.casefold().strip()
    if not asked or not held:
        return False
    asked_code = _code(asked)
    return held == asked or _code(held) == asked_code


def _code(language: str) -> str:
    base = language.split("-")[0].split("_")[0]
    for code, name in LANGUAGE_NAMES.items():
        if base in (code, name):
            return code
    return base


_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def choose(
    voices: Iterable[Voice],
    query: VoiceQuery,
    popularity: dict[UUID, Popularity],
) -> list[Voice]:
    """The voices matching `query`, in the order it asks for (display priority, then
    name, breaks every tie)."""
    matching = [v for v in voices if query.matches(v)]
    settled = sorted(matching, key=lambda v: (-v.priority, v.name.casefold(), v.id))
    if query.sort is VoiceSort.NAME:
        return sorted(settled, key=lambda v: v.name.casefold())
    if query.sort is VoiceSort.NEWEST:
        return sorted(settled, key=lambda v: v.created_at or _EPOCH, reverse=True)
    if query.sort is VoiceSort.POPULAR:
        none = Popularity()
        return sorted(
            settled,
            key=lambda v: (-popularity.get(v.id, none).uses, -popularity.get(v.id, none).listens),
        )
    return recommend(settled, content_type=query.content_type, sample_text=query.sample_text)


def recommend(
    voices: Sequence[Voice], *, content_type: str = "", sample_text: str = ""
) -> list[Voice]:
    """`voices` with those suiting the content first: the named content type (or the one
    guessed from the sample text) counts most, then the language of the text. The order
    of `voices` is kept among equals."""
    guess = guess_content(sample_text) if sample_text else ContentGuess()
    use_case = content_type or guess.use_case
    language = guess.language

    def fit(voice: Voice) -> int:
        return (2 if use_case and use_case in voice.use_cases else 0) + (
            1 if language and speaks(voice, language) else 0
        )

    return sorted(voices, key=lambda v: -fit(v))


@dataclass(frozen=True, slots=True)
class FilterOptions:
    """The values each filter of the gallery can take, from the voices listed."""

    genders: tuple[str, ...]
    languages: tuple[str, ...]
    accents: tuple[str, ...]
    ages: tuple[str, ...]
    styles: tuple[str, ...]
    use_cases: tuple[str, ...]
    tags: tuple[str, ...]
    categories: tuple[str, ...]


def filter_options(voices: Iterable[Voice]) -> FilterOptions:
    listed = list(voices)

    def distinct(values: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({v for v in values if v}, key=str.casefold))

    return FilterOptions(
        genders=distinct(v.type for v in listed),
        languages=distinct(v.language for v in listed),
        accents=distinct(v.accent for v in listed),
        ages=distinct(v.age for v in listed),
        styles=distinct(v.style for v in listed),
        use_cases=tuple(u for u in USE_CASES if any(u in v.use_cases for v in listed)),
        tags=distinct(t for v in listed for t in v.tags),
        categories=distinct(c for v in listed for c in v.categories),
    )
