"""The text filter: what a text may not say, and what happens when it does.

Entries come from the word lists shipped with the project (one per language) and
from the staff's own list of extra terms and link domains. Each entry has an
action: `block` (refused, nothing is made), `hold` (saved, made only once a
moderator approves), `flag` (made, and an automatic flag tells the moderators).
An `allow` entry of the staff's list overrides the others: a listed term that is
also allowed, or a match that lies inside an allowed phrase, does not count; an
allowed domain (and its subdomains) beats a blocked parent domain.

Terms match after normalisation (see `normalise`), on whole words, so a filter
term "ass" never fires on "class". The outcome names the entries that matched for
the moderators; the user is told only that the text is not allowed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.normalise import (
    normalise,
    normalised_forms,
    spaced_out_runs,
    words,
)
from voiceqr.domain.shared.errors import ValidationError

MAX_TERM_LENGTH = 200
_Value = TypeVar("_Value")


class FilterAction(StrEnum):
    """What a match does, weakest first; the strongest match of a text decides."""

    ALLOW = "allow"  # staff only: overrides the entries it covers
    FLAG = "flag"
    HOLD = "hold"
    BLOCK = "block"

    @property
    def strength(self) -> int:
        return _STRENGTH[self]


_STRENGTH = {
    FilterAction.ALLOW: 0,
    FilterAction.FLAG: 1,
    FilterAction.HOLD: 2,
    FilterAction.BLOCK: 3,
}


class TermKind(StrEnum):
    TERM = "term"  # a word or phrase
    DOMAIN = "domain"  # a link domain, with its subdomains


@dataclass(frozen=True, slots=True)
class FilterTerm:
    """One entry: a term or domain, its action and why it is there. `source` says
    where it comes from ("list:en", "staff"), for the moderators."""

    kind: TermKind
    text: str
    action: FilterAction
    reason: ReasonCode
    source: str


@dataclass(frozen=True, slots=True)
class FilterMatch:
    term: FilterTerm


@dataclass(frozen=True, slots=True)
class FilterOutcome:
    """What the filter made of a text: the action to take (None: nothing matched)."""

    matches: tuple[FilterMatch, ...] = ()

    @property
    def action(self) -> FilterAction | None:
        if not self.matches:
            return None
        return max((m.term.action for m in self.matches), key=lambda a: a.strength)

    @property
    def reason(self) -> ReasonCode | None:
        """The reason of the strongest match."""
        action = self.action
        return next((m.term.reason for m in self.matches if m.term.action is action), None)

    def describe(self) -> str:
        """For the moderators: which entries matched and where they come from."""
        return "; ".join(
            f"{m.term.action} {m.term.kind} '{m.term.text}' ({m.term.source}, {m.term.reason})"
            for m in self.matches
        )


def text_not_allowed(*, in_title: bool = False) -> ValidationError:
    """The refusal of a blocked text (or title): clear, and naming no list or word."""
    if in_title:
        return ValidationError(
            "This title cannot be used: it contains words or links that are not allowed "
            "here. Change the title and try again.",
            code="text_not_allowed",
        )
    return ValidationError(
        "This text cannot be made into audio: it contains words or links that are not "
        "allowed here. Change the text and try again.",
        code="text_not_allowed",
    )


def term_text(kind: TermKind, text: str) -> str:
    """A staff entry as it is kept: a term's normalised words, or a bare lower-case
    domain; ValidationError when nothing matchable is left."""
    if len(text) > MAX_TERM_LENGTH:
        raise ValidationError(
            f"An entry has at most {MAX_TERM_LENGTH} characters.", code="term_too_long"
        )
    if kind is TermKind.DOMAIN:
        domain = _bare_domain(text)
        if domain is None:
            raise ValidationError(
                f"'{text}' is not a domain such as example.com.", code="bad_domain"
            )
        return domain
    key = normalise(text)
    if not key:
        raise ValidationError("A term needs at least one letter or digit.", code="term_blank")
    return text.strip()


@dataclass(frozen=True, slots=True)
class TextFilter:
    """Every entry in force, ready to check texts."""

    terms: Sequence[FilterTerm] = ()
    # Phrases by their first word, so a check costs one look-up per word of the text
    # however long the lists are.
    _phrases: dict[str, list[tuple[tuple[str, ...], FilterTerm]]] = field(init=False)
    _allowed: dict[str, list[tuple[tuple[str, ...], None]]] = field(init=False)
    # Each phrase run together ("killyourself"), looked for inside spaced-out letters;
    # shorter than 4 letters it would be found by chance, and is matched as a word only.
    _run_together: tuple[tuple[str, FilterTerm], ...] = field(init=False)
    _allowed_run_together: tuple[str, ...] = field(init=False)
    _domains: tuple[FilterTerm, ...] = field(init=False)
    _allowed_domains: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        allowed = {
            words(normalise(t.text))
            for t in self.terms
            if t.kind is TermKind.TERM and t.action is FilterAction.ALLOW
        }
        phrases = [
            (key, t)
            for t in self.terms
            if t.kind is TermKind.TERM and t.action is not FilterAction.ALLOW
            for key in _phrase_keys(t.text)
            if key not in allowed
        ]
        domains = [t for t in self.terms if t.kind is TermKind.DOMAIN]
        object.__setattr__(self, "_phrases", _by_first_word(phrases))
        object.__setattr__(
            self,
            "_run_together",
            tuple(
                dict.fromkeys(
                    (key[0], t) for key, t in phrases if len(key) == 1 and len(key[0]) > 3
                )
            ),
        )
        object.__setattr__(
            self, "_allowed_run_together", tuple(normalise("".join(a)) for a in allowed if a)
        )
        object.__setattr__(self, "_allowed", _by_first_word([(a, None) for a in allowed if a]))
        object.__setattr__(
            self, "_domains", tuple(d for d in domains if d.action is not FilterAction.ALLOW)
        )
        object.__setattr__(
            self,
            "_allowed_domains",
            tuple(d.text for d in domains if d.action is FilterAction.ALLOW),
        )

    def check(self, text: str) -> FilterOutcome:
        """The entries `text` matches (each at most once), allowed ones left out."""
        found: dict[FilterTerm, None] = {}
        for form in normalised_forms(text):
            tokens = words(form)
            covered = {i for span, _ in _occurrences(tokens, self._allowed) for i in span}
            for span, term in _occurrences(tokens, self._phrases):
                if not covered.issuperset(span):
                    found.setdefault(term)
        for run in spaced_out_runs(text):
            for compact, term in self._run_together:
                if compact in run and not any(
                    compact in a and a in run for a in self._allowed_run_together
                ):
                    found.setdefault(term)
        for domain in link_domains(text):
            if any(_within(domain, allowed) for allowed in self._allowed_domains):
                continue
            for term in self._domains:
                if _within(domain, term.text):
                    found.setdefault(term)
        return FilterOutcome(tuple(FilterMatch(term) for term in found))


_DOMAIN = re.compile(
    r"(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?![\w-])"
)


def link_domains(text: str) -> list[str]:
    """The domains of the links in `text` ("https://x.example.com/a", "example.com"),
    lower case, without a leading "www."."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("[.]", ".").replace("(.)", ".")  # "example[.]com"
    found = (m.group(1) for m in _DOMAIN.finditer(folded))
    return list(dict.fromkeys(d.removeprefix("www.") for d in found))


def _bare_domain(text: str) -> str | None:
    cleaned = text.strip().casefold()
    cleaned = re.sub(r"^[a-z]+://", "", cleaned).split("/", 1)[0].removeprefix("www.")
    found = link_domains(cleaned)
    return found[0] if found == [cleaned] else None


def _within(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def _phrase_keys(text: str) -> set[tuple[str, ...]]:
    """The word sequences a term matches: its words, and (for a phrase) the words run
    together, as "k i l l y o u r s e l f" or "#killyourself" writes them."""
    keys: set[tuple[str, ...]] = set()
    for form in normalised_forms(text):
        phrase = words(form)
        if phrase:
            keys.add(phrase)
            keys.add(words(normalise("".join(phrase))))
    return keys


def _by_first_word(
    phrases: Iterable[tuple[tuple[str, ...], _Value]],
) -> dict[str, list[tuple[tuple[str, ...], _Value]]]:
    index: dict[str, list[tuple[tuple[str, ...], _Value]]] = {}
    for phrase, value in phrases:
        index.setdefault(phrase[0], []).append((phrase, value))
    return index


def _occurrences(
    tokens: tuple[str, ...], index: dict[str, list[tuple[tuple[str, ...], _Value]]]
) -> Iterator[tuple[range, _Value]]:
    """Each place a phrase of `index` appears among `tokens`, with its value."""
    for start, token in enumerate(tokens):
        for phrase, value in index.get(token, ()):
            if tokens[start : start + len(phrase)] == phrase:
                yield range(start, start + len(phrase)), value
