"""The best performing codes by listen-through: those whose listeners heard most of them.

A code heard once, to the end, would top a ranking by share alone; only codes with at
least `MIN_LISTENS_TO_RANK` listens that reported what they heard are ranked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from voiceqr.domain.playback.listening import ListenThrough

MIN_LISTENS_TO_RANK = 5

K = TypeVar("K")


def best_listened(
    by_code: Mapping[K, ListenThrough],
    *,
    limit: int,
    min_listens: int = MIN_LISTENS_TO_RANK,
) -> list[tuple[K, ListenThrough]]:
    """At most `limit` codes with `min_listens` listens or more, the highest average
    share heard first; ties go to the higher completion rate, then to more listens,
    then to the code's text form, so the order is stable."""

    def order(item: tuple[K, ListenThrough]) -> tuple[float, float, int, str]:
        code, stats = item
        return (-stats.average_share, -stats.completion_rate, -stats.listens, str(code))

    ranked = [item for item in by_code.items() if item[1].listens >= min_listens]
    return sorted(ranked, key=order)[: max(limit, 0)]
