"""How far the listens of a code went (listen-through), as the JSON API and the pages
show it.

Here rather than in `playback`: the owner's listen-through page and a code's analytics
show the same figures, and features share only what is in the kit.
"""

from __future__ import annotations

import msgspec

from voiceqr.domain.playback.listening import ListenThrough


class SentenceHeardOut(msgspec.Struct, frozen=True, kw_only=True):
    text: str
    heard: float  # the share of listens that heard the whole sentence, 0 to 1


class ListenThroughOut(msgspec.Struct, frozen=True, kw_only=True):
    """How far the listens of a code's current audio went."""

    listens: int
    completion_rate: float  # share of listens heard to the end (the last 5%, or 95% of it)
    average_heard: float  # mean share of the audio a listen heard, 0 to 1
    retention: list[float]  # 20 points: the share of listens that heard each 5% of the audio
    sentences: list[SentenceHeardOut]


def listen_through_out(stats: ListenThrough) -> ListenThroughOut:
    return ListenThroughOut(
        listens=stats.listens,
        completion_rate=stats.completion_rate,
        average_heard=stats.average_share,
        retention=list(stats.retention),
        sentences=[SentenceHeardOut(text=s.text, heard=s.share) for s in stats.sentences],
    )
