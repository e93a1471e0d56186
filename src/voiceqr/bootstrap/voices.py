"""The voices a new installation's gallery starts with, for each speech provider set."""

from __future__ import annotations

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.settings import Settings

# ElevenLabs' premade voices (their public voice library, ids as its voices endpoint lists
# them), with a variety of accents, so a new ElevenLabs installation has a gallery.
ELEVENLABS_DEFAULT_VOICES = (
    VoiceSpec(
        name="Rachel",
        provider_voice_id="21m00Tcm4TlvDq8ikWAM",
        provider="elevenlabs",
        description="Calm, clear narration.",
        type="female",
        language="English",
        region="United States",
        accent="American",
        age="young",
        style="calm",
        use_cases=("narration", "audiobook", "education"),
        tags=("calm", "clear"),
        published=True,
        priority=90,
    ),
    VoiceSpec(
        name="Adam",
        provider_voice_id="pNInz6obpgDQGcFmaJgB",
        provider="elevenlabs",
        description="Deep, steady narration.",
        type="male",
        language="English",
        region="United States",
        accent="American",
        age="middle-aged",
        style="deep",
        use_cases=("narration", "announcements"),
        tags=("deep", "steady"),
        published=True,
        priority=85,
    ),
    VoiceSpec(
        name="George",
        provider_voice_id="JBFqnCBsd6RMkjVDRZzb",
        provider="elevenlabs",
        description="Warm British storyteller.",
        type="male",
        language="English",
        region="United Kingdom",
        accent="British",
        age="middle-aged",
        style="warm",
        use_cases=("narration", "museum-guide", "audiobook"),
        tags=("warm", "storyteller"),
        published=True,
        priority=80,
    ),
    VoiceSpec(
        name="Daniel",
        provider_voice_id="onwK4e9ZLuTAKqWW03F9",
        provider="elevenlabs",
        description="Deep, authoritative British news voice.",
        type="male",
        language="English",
        region="United Kingdom",
        accent="British",
        age="middle-aged",
        style="authoritative",
        use_cases=("news", "announcements"),
        tags=("deep", "authoritative"),
        published=True,
        priority=75,
    ),
    VoiceSpec(
        name="Lily",
        provider_voice_id="pFZP5JQG7iQjIQuC4Bku",
        provider="elevenlabs",
        description="Gentle British narration.",
        type="female",
        language="English",
        region="United Kingdom",
        accent="British",
        age="middle-aged",
        style="gentle",
        use_cases=("narration", "museum-guide"),
        tags=("gentle",),
        published=True,
        priority=70,
    ),
    VoiceSpec(
        name="Charlie",
        provider_voice_id="IKne3meq5aSn9XLyUdCD",
        provider="elevenlabs",
        description="Casual, natural Australian voice.",
        type="male",
        language="English",
        region="Australia",
        accent="Australian",
        age="middle-aged",
        style="casual",
        use_cases=("conversational", "advertising"),
        tags=("casual", "natural"),
        published=True,
        priority=65,
    ),
    VoiceSpec(
        name="James",
        provider_voice_id="ZQe5CZNOzWyzPSCn5a3c",
        provider="elevenlabs",
        description="Calm, older Australian voice.",
        type="male",
        language="English",
        region="Australia",
        accent="Australian",
        age="old",
        style="calm",
        use_cases=("news", "narration"),
        tags=("calm",),
        published=True,
        priority=60,
    ),
    VoiceSpec(
        name="Fin",
        provider_voice_id="D38z5RcWu1voky8WS1ja",
        provider="elevenlabs",
        description="Seasoned Irish storyteller.",
        type="male",
        language="English",
        region="Ireland",
        accent="Irish",
        age="old",
        style="characterful",
        use_cases=("audiobook", "museum-guide"),
        tags=("characterful", "storyteller"),
        published=True,
        priority=55,
    ),
)


def default_voices(settings: Settings) -> tuple[VoiceSpec, ...]:
    specs: list[VoiceSpec] = []
    if "espeak" in settings.speech_providers:
        from voiceqr.adapters.speech.espeak import DEFAULT_VOICES

        specs += DEFAULT_VOICES
    if "elevenlabs" in settings.speech_providers:
        specs += ELEVENLABS_DEFAULT_VOICES
    return tuple(specs)
