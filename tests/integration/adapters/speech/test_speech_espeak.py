"""EspeakSynthesizer with the real espeak-ng library and LAME encoder."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from voiceqr.adapters.speech.espeak import EspeakSynthesizer
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.bootstrap.voices import ESPEAK_DEFAULT_VOICES as DEFAULT_VOICES
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError, ValidationError
from voiceqr.domain.voices.voice import Voice

SHORT = "Hello, scan me."
LONG = "Hello, scan me. This message is a good deal longer, so it takes more time to say."


def make_voice(provider_voice_id: str) -> Voice:
    return Voice(
        id=uuid.uuid4(), name="Test", provider="espeak", provider_voice_id=provider_voice_id
    )


def is_mp3(audio: bytes) -> bool:
    return audio.startswith(b"ID3") or (
        len(audio) >= 2 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0
    )


@pytest.fixture(scope="module")
def synthesizer() -> EspeakSynthesizer:
    return EspeakSynthesizer()


def test_default_voices_are_well_formed() -> None:
    assert len(DEFAULT_VOICES) >= 8
    assert all(isinstance(spec, VoiceSpec) for spec in DEFAULT_VOICES)
    assert len({spec.name for spec in DEFAULT_VOICES}) == len(DEFAULT_VOICES)
    assert len({spec.provider_voice_id for spec in DEFAULT_VOICES}) == len(DEFAULT_VOICES)
    assert {spec.type for spec in DEFAULT_VOICES} == {"female", "male"}
    for spec in DEFAULT_VOICES:
        Voice(
            id=uuid.uuid4(),
            name=spec.name,
            provider="espeak",
            provider_voice_id=spec.provider_voice_id,
            description=spec.description,
            type=spec.type,
            language=spec.language,
            region=spec.region,
            age=spec.age,
            style=spec.style,
            priority=spec.priority,
        )


@pytest.mark.parametrize("spec", DEFAULT_VOICES, ids=lambda spec: spec.provider_voice_id)
async def test_default_voice_speaks_mp3(synthesizer: EspeakSynthesizer, spec: VoiceSpec) -> None:
    short = await synthesizer.synthesize(SHORT, make_voice(spec.provider_voice_id))
    long = await synthesizer.synthesize(LONG, make_voice(spec.provider_voice_id))

    assert is_mp3(short.audio)
    assert is_mp3(long.audio)
    assert short.content_type == "audio/mpeg"
    assert short.characters_billed == len(SHORT)
    assert len(long.audio) > 2 * len(short.audio)


async def test_concurrent_calls_do_not_mix_audio(synthesizer: EspeakSynthesizer) -> None:
    voice = make_voice("en-us")
    alone = await synthesizer.synthesize(SHORT, voice)

    together = await asyncio.gather(*(synthesizer.synthesize(SHORT, voice) for _ in range(4)))

    # espeak-ng adds random noise, so equal requests give similar, not identical, audio.
    for result in together:
        assert is_mp3(result.audio)
        assert abs(len(result.audio) - len(alone.audio)) < len(alone.audio) * 0.1


async def test_speech_waiting_its_turn_leaves_the_shared_thread_pool_free(
    synthesizer: EspeakSynthesizer,
) -> None:
    """Generations queue for espeak without holding the threads the rest of the process
    shares (sign-in's password check, file reads): a job sent to that pool after ten
    syntheses runs while nearly all of them still wait."""
    voice = make_voice("en-us")
    speaking = [asyncio.create_task(synthesizer.synthesize(LONG * 4, voice)) for _ in range(10)]
    await asyncio.sleep(0)  # every synthesis is on its way to a thread

    await asyncio.to_thread(lambda: None)
    finished = sum(task.done() for task in speaking)
    await asyncio.gather(*speaking)

    assert finished <= 1


@pytest.mark.parametrize("voice_id", ["xx-nope", "en-us+nosuchvariant", "en-us+../f3"])
async def test_unknown_voice_is_a_final_validation_error(
    synthesizer: EspeakSynthesizer, voice_id: str
) -> None:
    with pytest.raises(SpeechError) as caught:
        await synthesizer.synthesize(SHORT, make_voice(voice_id))

    error = caught.value
    assert error.category is ErrorCategory.VALIDATION
    assert error.code == "unknown_voice"
    assert error.retryable is False


async def test_text_limits() -> None:
    synth = EspeakSynthesizer(max_text_length=10)
    assert synth.provider == "espeak"
    assert synth.max_text_length == 10

    with pytest.raises(ValidationError) as too_long:
        await synth.synthesize("x" * 11, make_voice("en-us"))
    with pytest.raises(ValidationError) as blank:
        await synth.synthesize("  ", make_voice("en-us"))

    assert too_long.value.code == "text_too_long"
    assert blank.value.code == "text_blank"
