"""The playback feature's JSON bodies: what the player reports a listen heard, and the
owner's listen-through of a code."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from voiceqr.domain.playback.listening import ALL_HEARD, BUCKETS
from voiceqr.entrypoints.http.kit.listen_through import ListenThroughOut, listen_through_out
from voiceqr.entrypoints.http.kit.schemas import Body

__all__ = ["HeardReport", "ListenThroughOut", "listen_through_out"]


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
