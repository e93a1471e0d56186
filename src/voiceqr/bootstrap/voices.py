"""The voices a new installation's gallery starts with, for each speech provider set."""

from __future__ import annotations

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.settings import Settings

# ElevenLabs' premade voices, so a new ElevenLabs installation has a gallery to pick from.
ELEVENLABS_DEFAULT_VOICES = (
    VoiceSpec(
        "Rachel",
        "21m00Tcm4TlvDq8ikWAM",
        "elevenlabs",
        "Calm, clear narration.",
        "female",
        "en",
        "US",
        "young",
        "narration",
        True,
        90,
    ),
    VoiceSpec(
        "Adam",
        "pNInz6obpgDQGcFmaJgB",
        "elevenlabs",
        "Deep, steady narration.",
        "male",
        "en",
        "US",
        "middle-aged",
        "narration",
        True,
        85,
    ),
    VoiceSpec(
        "Bella",
        "EXAVITQu4vr4xnSDxMaL",
        "elevenlabs",
        "Soft and warm.",
        "female",
        "en",
        "US",
        "young",
        "soft",
        True,
        80,
    ),
    VoiceSpec(
        "Antoni",
        "ErXwobaYiN019PkySvjV",
        "elevenlabs",
        "Well-rounded and friendly.",
        "male",
        "en",
        "US",
        "young",
        "friendly",
        True,
        75,
    ),
    VoiceSpec(
        "Domi",
        "AZnzlk1XvdvUeBnXmlld",
        "elevenlabs",
        "Strong and confident.",
        "female",
        "en",
        "US",
        "young",
        "strong",
        True,
        70,
    ),
    VoiceSpec(
        "Elli",
        "MF3mGyEYCl7XYWbV9V6O",
        "elevenlabs",
        "Emotional and lively.",
        "female",
        "en",
        "US",
        "young",
        "emotional",
        True,
        65,
    ),
    VoiceSpec(
        "Josh",
        "TxGEqnHWrfWFTfGW9XjX",
        "elevenlabs",
        "Deep and young.",
        "male",
        "en",
        "US",
        "young",
        "deep",
        True,
        60,
    ),
    VoiceSpec(
        "Arnold",
        "VR6AewLTigWG4xSOukaG",
        "elevenlabs",
        "Crisp and bold.",
        "male",
        "en",
        "US",
        "middle-aged",
        "crisp",
        True,
        55,
    ),
)


def default_voices(settings: Settings) -> tuple[VoiceSpec, ...]:
    specs: list[VoiceSpec] = []
    if "espeak" in settings.speech_providers:
        from voiceqr.adapters.speech.espeak import DEFAULT_VOICES

        specs += [
            VoiceSpec(
                name=v.name,
                provider_voice_id=v.provider_voice_id,
                provider="espeak",
                description=v.description,
                type=v.type,
                language=v.language,
                region=v.region,
                age=v.age,
                style=v.style,
                published=True,
                priority=v.priority,
            )
            for v in DEFAULT_VOICES
        ]
    if "elevenlabs" in settings.speech_providers:
        specs += ELEVENLABS_DEFAULT_VOICES
    return tuple(specs)
