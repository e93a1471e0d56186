"""What a voice card adds to a voice for its viewer: the voice's rating and whether the
viewer starred it.

Here rather than in `voices`: the create page's picker (generations) shows voice cards
too, and features share only what is in the kit. Merge it into a card with
`platform.voice_engagement.standings(viewer, voice_ids)`, one call for the whole gallery.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import msgspec

from voiceqr.application.voices.engagement import VoiceStanding
from voiceqr.application.voices.gallery import VoiceCard
from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import Actor
from voiceqr.entrypoints.http.kit.voices import VoiceOut, voice_out


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


class VoiceCardOut(msgspec.Struct, kw_only=True):
    """A voice card as the pages show it (the gallery, the create page's picker): the
    voice, and what the viewer sees of its engagement."""

    voice: VoiceOut
    engagement: VoiceEngagementOut


async def voice_cards(
    platform: Platform, viewer: Actor | None, cards: Sequence[VoiceCard]
) -> list[VoiceCardOut]:
    """`cards` in their order, each with its rating and the viewer's star (one call for
    all of them)."""
    standings = await platform.voice_engagement.standings(viewer, [c.voice.id for c in cards])
    return [
        VoiceCardOut(
            voice=await voice_out(platform, card),
            engagement=voice_engagement_out(card.voice.id, standings[card.voice.id]),
        )
        for card in cards
    ]
