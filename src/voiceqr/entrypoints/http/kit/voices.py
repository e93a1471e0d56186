"""A voice as the voices API and the create page show it, with its samples' URLs.

Here rather than in `voices`: the generations feature's create page lists the voices
too, and features share only what is in the kit.
"""

from __future__ import annotations

from uuid import UUID

import msgspec

from voiceqr.bootstrap import Platform
from voiceqr.domain.voices.voice import Voice


class SampleOut(msgspec.Struct):
    label: str
    url: str


class VoiceOut(msgspec.Struct):
    id: UUID
    name: str
    description: str
    type: str
    language: str
    region: str
    age: str
    style: str
    provider: str
    provider_voice_id: str
    published: bool
    priority: int
    samples: list[SampleOut]


async def voice_out(platform: Platform, voice: Voice) -> VoiceOut:
    urls = await platform.voices.sample_urls(voice)
    return VoiceOut(
        id=voice.id,
        name=voice.name,
        description=voice.description,
        type=voice.type,
        language=voice.language,
        region=voice.region,
        age=voice.age,
        style=voice.style,
        provider=voice.provider,
        provider_voice_id=voice.provider_voice_id,
        published=voice.published,
        priority=voice.priority,
        samples=[SampleOut(label=s.label, url=u) for s, u in zip(voice.samples, urls, strict=True)],
    )
