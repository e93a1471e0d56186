"""A voice as the voices API and the create page show it, with its samples' URLs.

Here rather than in `voices`: the generations feature's create page lists the voices
too, and features share only what is in the kit.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from voiceqr.application.voices.gallery import VoiceCard
from voiceqr.bootstrap import Platform
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.voice import Editor, Voice

# How much of a text the gallery takes to guess what voices suit it: the create page's
# "Browse all voices" link carries that much of the text being typed.
GUESS_FROM_CHARS = 300


class SampleOut(msgspec.Struct):
    id: UUID
    label: str
    url: str
    duration_ms: int


class EditorOut(msgspec.Struct):
    id: UUID | None
    name: str


class VoiceOut(msgspec.Struct):
    id: UUID
    name: str
    description: str
    type: str  # the gender
    language: str
    region: str
    accent: str
    age: str
    style: str
    use_cases: list[str]
    tags: list[str]
    categories: list[str]
    provider: str
    provider_voice_id: str
    published: bool
    priority: int
    samples: list[SampleOut]
    uses: int  # generations made with the voice
    listens: int  # listens of their codes
    created_at: datetime | None
    updated_at: datetime | None
    created_by: EditorOut | None
    updated_by: EditorOut | None


async def voice_out(
    platform: Platform, voice: Voice | VoiceCard, popularity: Popularity | None = None
) -> VoiceOut:
    """`voice` as the API shows it; a card brings its popularity (a bare voice shows none)."""
    if isinstance(voice, VoiceCard):
        return await _voice_out(platform, voice.voice, voice.popularity)
    return await _voice_out(platform, voice, popularity or Popularity())


async def _voice_out(platform: Platform, voice: Voice, popularity: Popularity) -> VoiceOut:
    urls = await platform.voices.sample_urls(voice)
    return VoiceOut(
        id=voice.id,
        name=voice.name,
        description=voice.description,
        type=voice.type,
        language=voice.language,
        region=voice.region,
        accent=voice.accent,
        age=voice.age,
        style=voice.style,
        use_cases=list(voice.use_cases),
        tags=list(voice.tags),
        categories=list(voice.categories),
        provider=voice.provider,
        provider_voice_id=voice.provider_voice_id,
        published=voice.published,
        priority=voice.priority,
        samples=[
            SampleOut(id=s.id, label=s.label, url=u, duration_ms=s.duration_ms)
            for s, u in zip(voice.samples, urls, strict=True)
        ],
        uses=popularity.uses,
        listens=popularity.listens,
        created_at=voice.created_at,
        updated_at=voice.updated_at,
        created_by=_editor(voice.created_by),
        updated_by=_editor(voice.updated_by),
    )


def _editor(editor: Editor | None) -> EditorOut | None:
    return None if editor is None else EditorOut(id=editor.id, name=editor.name)
