"""What a voice card adds to a voice for its viewer: the voice's rating and whether the
viewer starred it.

Here rather than in `voices`: the create page's picker (generations) shows voice cards
too, and features share only what is in the kit. Merge it into a card with
`platform.voice_engagement.standings(viewer, voice_ids)`, one call for the whole gallery.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from voiceqr.application.voices.engagement import VoiceStanding


class VoiceEngagementOut(msgspec.Struct, kw_only=True):
    voice_id: UUID
    rating_average: float | None  # the mean of the visible reviews, 1 decimal; None: no reviews
    rating_count: int  # the visible reviews (hidden ones are not counted)
    favorite: bool  # the viewer starred this voice (always false for a visitor)


def voice_engagement_out(voice_id: UUID, standing: VoiceStanding) -> VoiceEngagementOut:
    average = standing.rating.average
    return VoiceEngagementOut(
        voice_id=voice_id,
        rating_average=None if average is None else round(average, 1),
        rating_count=standing.rating.count,
        favorite=standing.favorite,
    )
