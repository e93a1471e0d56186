"""Listen-through rules: the 20 buckets a player reports, and what a code's listens add
up to (completion, average share, retention, sentence by sentence)."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.playback.listening import (
    ALL_HEARD,
    BUCKETS,
    Heard,
    ListenThrough,
    is_heard_mask,
    sentences,
)

durations = st.floats(min_value=0.1, max_value=3600, allow_nan=False)
fractions = st.floats(min_value=0, max_value=1, allow_nan=False)
masks = st.integers(min_value=0, max_value=ALL_HEARD)
heards = masks.map(Heard)


@st.composite
def played(draw: st.DrawFn) -> tuple[list[tuple[float, float]], float]:
    duration = draw(durations)
    pairs = draw(st.lists(st.tuples(fractions, fractions), max_size=6))
    return [(min(a, b) * duration, max(a, b) * duration) for a, b in pairs], duration


def test_playing_the_first_half_hears_the_first_ten_buckets() -> None:
    heard = Heard.from_ranges([(0.0, 30.0)], 60.0)
    assert heard.mask == (1 << 10) - 1
    assert heard.share == 0.5
    assert not heard.completed


def test_playing_to_the_end_completes_the_listen_even_after_a_skip() -> None:
    assert Heard.from_ranges([(0.0, 60.0)], 60.0) == Heard(ALL_HEARD)
    skipped_in_the_middle = Heard.from_ranges([(0.0, 20.0), (24.0, 60.0)], 60.0)
    assert skipped_in_the_middle.completed
    assert Heard.from_ranges([(57.5, 60.0)], 60.0).completed  # the last bucket: the end
    # 95% is the end too: speech often ends on a breath of silence nobody waits for.
    assert Heard.from_ranges([(0.0, 56.0)], 60.0).completed
    assert not Heard.from_ranges([(0.0, 54.0)], 60.0).completed


def test_a_seek_that_played_nothing_and_an_unknown_duration_hear_nothing() -> None:
    assert Heard.from_ranges([(12.0, 12.0)], 60.0) == Heard()
    assert Heard.from_ranges([(0.0, 10.0)], float("nan")) == Heard()
    assert Heard.from_ranges([(0.0, 10.0)], float("inf")) == Heard()
    assert Heard.from_ranges([(0.0, 10.0)], 0.0) == Heard()


def test_a_range_that_ends_on_a_bucket_edge_does_not_hear_the_next_bucket() -> None:
    assert Heard.from_ranges([(0.0, 3.0)], 60.0) == Heard(0b1)
    assert Heard.from_ranges([(3.0, 3.1)], 60.0) == Heard(0b10)


@pytest.mark.parametrize("mask", [-1, ALL_HEARD + 1, 1 << 40])
def test_a_mask_outside_twenty_bits_is_not_a_report(mask: int) -> None:
    assert not is_heard_mask(mask)
    with pytest.raises(ValueError, match="20 bits"):
        Heard(mask)


@given(played())
def test_what_was_played_hears_as_many_buckets_as_it_covers(
    report: tuple[list[tuple[float, float]], float],
) -> None:
    ranges, duration = report
    heard = Heard.from_ranges(ranges, duration)
    assert is_heard_mask(heard.mask)
    # Never less than the share of the audio the ranges cover...
    assert heard.share >= _covered(ranges) / duration - 1e-9
    # ...and a bucket is heard only if some range overlaps it.
    for bucket in range(BUCKETS):
        low, high = bucket * duration / BUCKETS, (bucket + 1) * duration / BUCKETS
        overlaps = any(min(end, high) > max(start, low) for start, end in ranges)
        assert heard.has(bucket) == overlaps or _on_an_edge(ranges, duration)


def _covered(ranges: list[tuple[float, float]]) -> float:
    total, reach = 0.0, 0.0
    for start, end in sorted(ranges):
        start = max(start, reach)
        if end > start:
            total, reach = total + end - start, end
    return total


def _on_an_edge(ranges: list[tuple[float, float]], duration: float) -> bool:
    """Float rounding may put a range ending within a hair of a bucket edge on either
    side of it; the property is checked for the others."""
    edges = [b * duration / BUCKETS for b in range(BUCKETS + 1)]
    return any(abs(x - e) < 1e-6 * duration for s, t in ranges for x in (s, t) for e in edges)


@given(heards, heards)
def test_a_listen_only_grows_merging_reports_in_any_order(a: Heard, b: Heard) -> None:
    merged = a | b
    assert merged == b | a
    assert merged | a == merged
    assert merged.mask & a.mask == a.mask
    assert merged.mask & b.mask == b.mask
    assert merged.share >= max(a.share, b.share)
    assert merged.grew_from(a) == (merged != a)
    assert not a.grew_from(merged)


@given(st.lists(heards, max_size=30), st.text(max_size=300))
def test_a_codes_statistics_are_shares_of_its_listens(listens: list[Heard], text: str) -> None:
    stats = ListenThrough.of(Counter(listens), text)
    assert stats.listens == len(listens)
    assert len(stats.retention) == BUCKETS
    for value in (stats.completion_rate, stats.average_share, *stats.retention):
        assert 0.0 <= value <= 1.0
    if listens:
        assert stats.average_share == pytest.approx(sum(h.share for h in listens) / len(listens))
        # The average share is the area under the retention curve.
        assert stats.average_share == pytest.approx(sum(stats.retention) / BUCKETS)
    for sentence, span in zip(stats.sentences, sentences(text), strict=True):
        assert sentence.text == span.text
        assert sentence.share <= min(stats.retention[b] for b in span.buckets()) + 1e-9


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=12))
def test_sentences_cover_the_audio_in_order_and_keep_their_text(words: list[str]) -> None:
    transcript = " ".join(w.strip(" .!?") + "." for w in words)
    found = sentences(transcript)
    assert found, transcript
    assert found[0].start == 0.0
    assert found[-1].end == pytest.approx(1.0)
    for before, after in itertools.pairwise(found):
        assert before.end == pytest.approx(after.start)
        assert before.start < before.end
    for sentence in found:
        assert sentence.text == sentence.text.strip()
        assert sentence.text
        assert sentence.text in transcript
        assert 1 <= len(sentence.buckets()) <= BUCKETS


def test_the_transcript_splits_after_full_stops_questions_and_exclamations() -> None:
    text = "Welcome to the east wing!  Is it yours? It was finished in 1889.\nEnjoy"
    assert [s.text for s in sentences(text)] == [
        "Welcome to the east wing!",
        "Is it yours?",
        "It was finished in 1889.",
        "Enjoy",
    ]
    assert [s.text for s in sentences("Version 2.5 is out.")] == ["Version 2.5 is out."]
    assert sentences("") == []
    assert sentences("   ") == []


def test_half_the_listeners_dropping_off_half_way_shows_on_the_second_sentence() -> None:
    first_half, everything = Heard((1 << 10) - 1), Heard(ALL_HEARD)
    text = "A" * 49 + ". " + "B" * 49 + "."  # two sentences of 50 characters each
    stats = ListenThrough.of({first_half: 1, everything: 1}, text)
    assert stats.listens == 2
    assert stats.completion_rate == 0.5
    assert stats.average_share == 0.75
    assert stats.retention == (1.0,) * 10 + (0.5,) * 10
    assert [s.share for s in stats.sentences] == [1.0, 0.5]


def test_no_listens_are_all_zero() -> None:
    stats = ListenThrough.of({}, "One. Two.")
    assert (stats.listens, stats.completion_rate, stats.average_share) == (0, 0.0, 0.0)
    assert stats.retention == (0.0,) * BUCKETS
    assert [(s.text, s.share) for s in stats.sentences] == [("One.", 0.0), ("Two.", 0.0)]
