"""Ranking codes by listen-through: the codes heard furthest first, and only codes with
enough listens, so one listen heard to the end does not top the list."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceqr.domain.analytics.listening import MIN_LISTENS_TO_RANK, best_listened
from voiceqr.domain.playback.listening import ALL_HEARD, Heard, ListenThrough

tallies = st.dictionaries(
    st.integers(0, ALL_HEARD).map(Heard), st.integers(1, 4), min_size=1, max_size=5
)
codes = st.dictionaries(st.text("abcdef", min_size=1, max_size=4), tallies, max_size=12)


def _stats(by_code: dict[str, dict[Heard, int]]) -> dict[str, ListenThrough]:
    return {code: ListenThrough.of(tally, "") for code, tally in by_code.items()}


@given(by_code=codes, limit=st.integers(0, 12), min_listens=st.integers(1, 8))
def test_ranked_codes_have_enough_listens_and_go_from_heard_most_to_least(
    by_code: dict[str, dict[Heard, int]], limit: int, min_listens: int
) -> None:
    stats = _stats(by_code)
    ranked = best_listened(stats, limit=limit, min_listens=min_listens)

    assert len(ranked) <= limit
    assert all(listening.listens >= min_listens for _, listening in ranked)
    shares = [listening.average_share for _, listening in ranked]
    assert shares == sorted(shares, reverse=True)
    # Nobody left out was heard further than the last one ranked, unless the list is full.
    eligible = {c for c, listening in stats.items() if listening.listens >= min_listens}
    left_out = eligible - {c for c, _ in ranked}
    if len(ranked) < limit:
        assert not left_out
    elif ranked and left_out:
        assert max(stats[c].average_share for c in left_out) <= shares[-1]


def test_one_listen_heard_to_the_end_does_not_top_codes_heard_by_many() -> None:
    half = Heard((1 << 10) - 1)
    stats = _stats({"once": {Heard(ALL_HEARD): 1}, "many": {half: MIN_LISTENS_TO_RANK}})
    assert [code for code, _ in best_listened(stats, limit=10)] == ["many"]
