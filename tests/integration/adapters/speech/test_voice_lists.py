"""Which voice ids a provider accepts, asked of the provider itself: espeak-ng's own voice
list, and ElevenLabs' voices endpoint (its local look-alike here)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from tests.integration.elevenlabs_server import (
    API_KEY,
    PREMADE_VOICES,
    VOICE_ID,
    VOICES_PATH,
    FakeElevenLabs,
    elevenlabs_server,  # noqa: F401
)
from voiceqr.adapters.speech.elevenlabs import ElevenLabsSynthesizer
from voiceqr.adapters.speech.espeak import EspeakSynthesizer
from voiceqr.bootstrap.voices import ELEVENLABS_DEFAULT_VOICES
from voiceqr.bootstrap.voices import ESPEAK_DEFAULT_VOICES as DEFAULT_VOICES
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError


async def test_espeak_accepts_its_voices_by_language_file_or_name_with_a_variant() -> None:
    espeak = EspeakSynthesizer()
    asked = {
        "en-us",
        "EN-US",
        "en-gb-x-rp+f4",
        "en-029+m1",
        "gmw/en-GB-scotland",
        "English (America)",
        "en",
    }
    refused = {"en-zz", "en-us+nobody", "", "+f1", "en\x00us", "en-us+"}

    assert await espeak.accepts(asked | refused) == asked
    assert await espeak.accepts([]) == frozenset()


async def test_every_default_espeak_voice_is_accepted() -> None:
    ids = {v.provider_voice_id for v in DEFAULT_VOICES}
    assert await EspeakSynthesizer().accepts(ids) == ids


@pytest.fixture
async def elevenlabs(elevenlabs_server: FakeElevenLabs) -> AsyncIterator[ElevenLabsSynthesizer]:  # noqa: F811
    synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, timeout=2.0)
    yield synth
    await synth.aclose()


async def test_elevenlabs_accepts_the_voices_its_voices_endpoint_lists(
    elevenlabs: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.voices = {v[0] for v in PREMADE_VOICES}

    accepted = await elevenlabs.accepts({VOICE_ID, "pNInz6obpgDQGcFmaJgB", "noSuchVoice"})

    assert accepted == {VOICE_ID, "pNInz6obpgDQGcFmaJgB"}
    (request,) = elevenlabs_server.requests
    assert (request.method, request.path) == ("GET", VOICES_PATH)
    assert request.headers["xi-api-key"] == API_KEY
    defaults = {v.provider_voice_id for v in ELEVENLABS_DEFAULT_VOICES}
    assert await elevenlabs.accepts(defaults) == defaults  # the seeded gallery is premade


@pytest.mark.parametrize(
    ("status", "code"),
    [(500, "provider_unavailable"), (503, "provider_unavailable"), (401, "unauthorized")],
)
async def test_elevenlabs_that_fails_to_list_its_voices_accepts_nothing(
    elevenlabs: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    status: int,
    code: str,
) -> None:
    elevenlabs_server.voice_list_status = status

    with pytest.raises(SpeechError) as error:
        await elevenlabs.accepts({VOICE_ID})

    assert error.value.code == code
    assert error.value.category is ErrorCategory.PROVIDER
    assert API_KEY not in (error.value.detail or "")


async def test_elevenlabs_with_a_wrong_key_is_told_so(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    async with ElevenLabsSynthesizer("sk_wrong", base_url=elevenlabs_server.url) as synth:
        with pytest.raises(SpeechError) as error:
            await synth.accepts({VOICE_ID})
    assert error.value.code == "invalid_api_key"


async def test_elevenlabs_out_of_reach_is_a_provider_error() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    async with ElevenLabsSynthesizer(API_KEY, base_url=f"http://127.0.0.1:{port}") as synth:
        with pytest.raises(SpeechError) as error:
            await synth.accepts({VOICE_ID})
    assert (error.value.code, error.value.retryable) == ("provider_unreachable", True)
