"""The text filter's outcome: the strongest match decides, a disguised entry is still
found, allowed entries win, and no text makes it fail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.bootstrap.word_lists import load_word_lists
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind, TextFilter

SHIPPED = TextFilter(load_word_lists())
LIST_ENTRIES = [t for t in load_word_lists() if t.kind is TermKind.TERM]
_LEET = {"o": "0", "i": "1", "e": "3", "a": "4", "s": "5", "t": "7"}


def staff(text: str, action: FilterAction, kind: TermKind = TermKind.TERM) -> FilterTerm:
    return FilterTerm(kind, text, action, ReasonCode.SPAM, "staff")


@given(st.text())
def test_no_text_makes_the_filter_fail(text: str) -> None:
    SHIPPED.check(text)


@given(
    st.sampled_from(LIST_ENTRIES),
    st.sampled_from(["", " ", ".", "-"]),
    st.booleans(),
    # Words around it (a lone letter next to spaced-out ones would join them).
    st.lists(st.sampled_from(["ab", "cab", "bca", "the"]), max_size=3).map(" ".join),
)
def test_a_listed_entry_is_found_however_it_is_disguised(
    entry: FilterTerm, gap: str, leet: bool, around: str
) -> None:
    disguised = entry.text.upper()
    if leet:
        disguised = "".join(_LEET.get(c, c) for c in disguised.lower())
    if gap:
        disguised = gap.join(disguised)
    outcome = SHIPPED.check(f"{around} {disguised} {around}")
    assert entry in [m.term for m in outcome.matches]


def test_the_strongest_match_decides() -> None:
    both = TextFilter([staff("cheap", FilterAction.FLAG), staff("watches", FilterAction.HOLD)])
    assert both.check("Cheap watches").action is FilterAction.HOLD
    assert both.check("Cheap shoes").action is FilterAction.FLAG
    assert both.check("Fine shoes").action is None


def test_whole_words_only_so_a_class_is_not_flagged_for_ass() -> None:
    assert TextFilter([staff("ass", FilterAction.BLOCK)]).check("A classic class").action is None


def test_an_allowed_phrase_covers_a_listed_word_inside_it() -> None:
    filter_ = TextFilter(
        [staff("bomb", FilterAction.HOLD), staff("photo bomb", FilterAction.ALLOW)]
    )
    assert filter_.check("What a photo bomb!").action is None
    assert filter_.check("A bomb in the photo").action is FilterAction.HOLD


def test_an_allowed_subdomain_beats_a_blocked_parent() -> None:
    filter_ = TextFilter(
        [
            staff("example.com", FilterAction.BLOCK, TermKind.DOMAIN),
            staff("docs.example.com", FilterAction.ALLOW, TermKind.DOMAIN),
        ]
    )
    assert filter_.check("See https://docs.example.com/a").action is None
    assert filter_.check("See www.shop.example.com or example[.]com").action is FilterAction.BLOCK


def test_a_word_among_spaced_out_letters_is_still_found() -> None:
    assert SHIPPED.check("u r a f a g g o t").action is FilterAction.BLOCK
    assert SHIPPED.check("b i g c a t s").action is None
