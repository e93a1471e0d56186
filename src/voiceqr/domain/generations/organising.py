"""Folders, tags and text search of a user's generations (G4, G5).

A generation sits in at most one folder and carries any number of tags. Folders and
tags belong to one user; their names are unique per user regardless of case, so
"Museum" and "museum" cannot both exist. Names are compared by `name_key`.

Search matches words by prefix: every word of the query must start a word of the
text ("mus tour" finds "Museum tour"). Queries are cut into plain words here, so the
search engines underneath never see operators or quotes a user typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError

MAX_FOLDER_NAME = 100
MAX_TAG_NAME = 50
MAX_TAGS_PER_GENERATION = 20
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 12

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")


class LabelKind(StrEnum):
    """The two ways to organise generations; they share naming rules."""

    FOLDER = "folder"
    TAG = "tag"

    @property
    def max_length(self) -> int:
        return MAX_FOLDER_NAME if self is LabelKind.FOLDER else MAX_TAG_NAME


@dataclass(slots=True)
class Label:
    """A folder or a tag of one owner."""

    id: UUID
    owner_id: UUID
    name: str
    created_at: datetime

    @property
    def name_key(self) -> str:
        return name_key(self.name)


@dataclass(frozen=True, slots=True)
class LabelUsage:
    """A folder or tag with how many (not deleted) generations it holds."""

    label: Label
    generations: int


@dataclass(frozen=True, slots=True)
class Filing:
    """Where one generation is filed: its folder (or none) and its tags by name."""

    folder: Label | None = None
    tags: list[Label] = field(default_factory=list)


def name_key(name: str) -> str:
    """What makes two names the same: Unicode case folding after NFKC."""
    return unicodedata.normalize("NFKC", name).casefold()


def clean_label_name(name: str, kind: LabelKind) -> str:
    """A folder or tag name as stored: trimmed, inner runs of spaces made one, and
    checked for length and control characters (which no form can type)."""
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
    if not cleaned:
        raise ValidationError(f"Give the {kind} a name.", code=f"{kind}_name_blank")
    if len(cleaned) > kind.max_length:
        raise ValidationError(
            f"A {kind} name has at most {kind.max_length} characters; this one has {len(cleaned)}.",
            code=f"{kind}_name_too_long",
        )
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in cleaned):
        raise ValidationError(
            f"A {kind} name cannot hold control characters.", code=f"{kind}_name_invalid"
        )
    return cleaned


def search_terms(query: str) -> tuple[str, ...]:
    """The words of a search query, lower-cased, in order, without repeats.

    Punctuation only separates words, so a query can never be a syntax error; an empty
    tuple means there is nothing to search for. Accents stay: SQLite's index ignores
    them on both sides, PostgreSQL's 'simple' configuration matches them as typed.
    Raises ValidationError when the query is longer than anyone types.
    """
    if len(query) > MAX_SEARCH_LENGTH:
        raise ValidationError(
            f"Search for at most {MAX_SEARCH_LENGTH} characters.", code="search_too_long"
        )
    terms: list[str] = []
    for word in _WORD.findall(query.lower().replace("_", " ")):
        if word not in terms:
            terms.append(word)
    if len(terms) > MAX_SEARCH_TERMS:
        raise ValidationError(
            f"Search for at most {MAX_SEARCH_TERMS} words at once.", code="search_too_many_words"
        )
    return tuple(terms)


def fold_for_search(text: str) -> str:
    """Lower case without diacritics ("Élan" -> "elan"), as the search indexes see words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def searched_text(title: str | None, text: str) -> str:
    """What the history search reads of a generation: its title (when the owner gave
    one) and its text, as one document, like the index of both engines."""
    return f"{title or ''} {text}"


def matches_search(text: str, terms: tuple[str, ...]) -> bool:
    """Whether every term starts some word of `text`, accents ignored: the rule of the
    embedded (SQLite) index, which the in-memory fakes follow."""
    words = _WORD.findall(fold_for_search(text).replace("_", " "))
    folded = [fold_for_search(term) for term in terms]
    return all(any(word.startswith(term) for word in words) for term in folded)
