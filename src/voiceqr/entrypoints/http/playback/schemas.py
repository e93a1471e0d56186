"""The playback feature's JSON bodies: what the player reports a listen heard, and the
owner's listen-through of a code."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from voiceqr.domain.playback.listening import ALL_HEARD, BUCKETS, ListenThrough
from voiceqr.entrypoints.http.kit.schemas import Body


class HeardReport(Body, kw_only=True):
    """What one listen of the audio heard so far, as the playback page reports it."""

    listen: UUID  # made up by the page, once per listen
    heard: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=ALL_HEARD,
            description=f"Bit i set: some of the audio from {100 // BUCKETS}*i% to "
            f"{100 // BUCKETS}*(i+1)% was played ({BUCKETS} buckets)",
        ),
    ]
    revision: (
        Annotated[int, msgspec.Meta(ge=1, description="The audio revision played; default live")]
        | None
    ) = None


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
