"""ElevenLabsSynthesizer against a local fake of the ElevenLabs API."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator
from email.utils import formatdate

import httpx
import pytest

from tests.integration.elevenlabs_server import (
    API_KEY,
    FAKE_MP3,
    VOICE_ID,
    FakeElevenLabs,
    ScriptedResponse,
    elevenlabs_server,  # noqa: F401
)
from voiceqr.adapters.speech.elevenlabs import ElevenLabsSynthesizer
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError, ValidationError
from voiceqr.domain.voices.voice import Voice

TEXT = "Scan me to hear this message."


def make_voice(provider_voice_id: str = VOICE_ID) -> Voice:
    return Voice(
        id=uuid.uuid4(), name="Rachel", provider="elevenlabs", provider_voice_id=provider_voice_id
    )


@pytest.fixture
async def synthesizer(elevenlabs_server: FakeElevenLabs) -> AsyncIterator[ElevenLabsSynthesizer]:  # noqa: F811
    synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, timeout=2.0)
    yield synth
    await synth.aclose()


async def synthesize_error(synth: ElevenLabsSynthesizer, text: str = TEXT) -> SpeechError:
    with pytest.raises(SpeechError) as caught:
        await synth.synthesize(text, make_voice())
    return caught.value


def assert_no_secret(error: SpeechError) -> None:
    assert API_KEY not in error.message
    assert API_KEY not in (error.detail or "")
    assert API_KEY not in str(error)


async def test_success_returns_audio_and_billed_characters(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    result = await synthesizer.synthesize(TEXT, make_voice())

    assert result.audio == FAKE_MP3
    assert result.content_type == "audio/mpeg"
    assert result.characters_billed == len(TEXT)
    assert synthesizer.provider == "elevenlabs"
    assert synthesizer.max_text_length == 5000


async def test_request_shape(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    await synthesizer.synthesize(TEXT, make_voice())

    [request] = elevenlabs_server.requests
    assert request.method == "POST"
    assert request.path == f"/v1/text-to-speech/{VOICE_ID}"
    assert request.query == {"output_format": ["mp3_44100_128"]}
    assert request.headers["xi-api-key"] == API_KEY
    assert request.headers["accept"] == "audio/mpeg"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "text": TEXT,
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {"stability": 0.5, "similarity_boost": 0.75},
    }


async def test_configured_model_and_settings_are_sent(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    synth = ElevenLabsSynthesizer(
        API_KEY,
        base_url=elevenlabs_server.url + "/",
        model_id="eleven_turbo_v2_5",
        stability=0.3,
        similarity_boost=0.9,
    )
    try:
        await synth.synthesize(TEXT, make_voice())
    finally:
        await synth.aclose()

    [request] = elevenlabs_server.requests
    assert request.path == f"/v1/text-to-speech/{VOICE_ID}"
    body = request.json()
    assert body["model_id"] == "eleven_turbo_v2_5"
    assert body["voice_settings"] == {"stability": 0.3, "similarity_boost": 0.9}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"character-cost": "17"}, 17),
        ({"x-character-count": "23"}, 23),
        ({"character-cost": "oops"}, len(TEXT)),
        ({}, len(TEXT)),
    ],
)
async def test_billed_characters_come_from_headers(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    headers: dict[str, str],
    expected: int,
) -> None:
    elevenlabs_server.enqueue(
        ScriptedResponse(200, FAKE_MP3, {"Content-Type": "audio/mpeg", **headers})
    )

    result = await synthesizer.synthesize(TEXT, make_voice())

    assert result.characters_billed == expected


async def test_voice_id_is_escaped_in_the_path(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    with pytest.raises(SpeechError):
        await synthesizer.synthesize(TEXT, make_voice("../../v1/user"))

    [request] = elevenlabs_server.requests
    assert request.path == "/v1/text-to-speech/..%2F..%2Fv1%2Fuser"


async def test_wrong_api_key_is_a_final_provider_error(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    wrong_key = "sk_wrong_0000000000000000"
    synth = ElevenLabsSynthesizer(wrong_key, base_url=elevenlabs_server.url)
    try:
        error = await synthesize_error(synth)
    finally:
        await synth.aclose()

    assert error.category is ErrorCategory.PROVIDER
    assert error.code == "invalid_api_key"
    assert error.retryable is False
    assert wrong_key not in error.message
    assert wrong_key not in (error.detail or "")
    assert "401" in (error.detail or "")


async def test_scripted_invalid_api_key(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_invalid_api_key()

    error = await synthesize_error(synthesizer)

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "invalid_api_key",
        False,
    )
    assert_no_secret(error)


async def test_quota_exceeded(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_quota_exceeded()

    error = await synthesize_error(synthesizer)

    assert error.category is ErrorCategory.QUOTA
    assert error.code == "quota_exceeded"
    assert error.retryable is False
    assert "quota_exceeded" in (error.detail or "")
    assert_no_secret(error)


@pytest.mark.parametrize("status", [401, 403])
async def test_other_auth_failures_are_unauthorized(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    status: int,
) -> None:
    elevenlabs_server.respond_error(status, "detected_unusual_activity", "Unusual activity")

    error = await synthesize_error(synthesizer)

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "unauthorized",
        False,
    )


async def test_scripted_validation_error_with_detail_list(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_validation_error()

    error = await synthesize_error(synthesizer)

    assert error.category is ErrorCategory.VALIDATION
    assert error.code == "provider_validation"
    assert error.retryable is False
    assert "string_too_short" not in error.message
    assert "HTTP 422" in (error.detail or "")
    assert "string_too_short" in (error.detail or "")


async def test_server_side_validation_rejects_bad_settings(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, stability=1.5)
    try:
        error = await synthesize_error(synth)
    finally:
        await synth.aclose()

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.VALIDATION,
        "provider_validation",
        False,
    )
    assert "stability" in (error.detail or "")


async def test_unknown_voice(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    with pytest.raises(SpeechError) as caught:
        await synthesizer.synthesize(TEXT, make_voice("NoSuchVoice000000000"))

    error = caught.value
    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.VALIDATION,
        "unknown_voice",
        False,
    )


async def test_too_many_concurrent_requests_with_retry_after_seconds(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_too_many_concurrent_requests(retry_after="3")

    error = await synthesize_error(synthesizer)

    assert error.category is ErrorCategory.PROVIDER
    assert error.code == "too_many_concurrent_requests"
    assert error.retryable is True
    assert error.retry_after == 3.0


async def test_retry_after_as_http_date(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_too_many_concurrent_requests(
        retry_after=formatdate(time.time() + 120, usegmt=True)
    )

    error = await synthesize_error(synthesizer)

    assert error.retry_after is not None
    assert 100 <= error.retry_after <= 121


async def test_system_busy(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_system_busy()

    error = await synthesize_error(synthesizer)

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "system_busy",
        True,
    )
    assert error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
    status: int,
) -> None:
    elevenlabs_server.respond_server_error(status)

    error = await synthesize_error(synthesizer)

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "provider_unavailable",
        True,
    )
    assert f"HTTP {status}" in (error.detail or "")


async def test_detail_is_truncated(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_server_error(500, b"x" * 50_000)

    error = await synthesize_error(synthesizer)

    assert error.detail is not None
    assert 2048 < len(error.detail) < 2200


async def test_api_key_echoed_by_provider_is_redacted(
    synthesizer: ElevenLabsSynthesizer,
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_server_error(500, f"bad key {API_KEY}".encode())

    error = await synthesize_error(synthesizer)

    assert_no_secret(error)
    assert "[redacted]" in (error.detail or "")


async def test_slow_response_times_out(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    elevenlabs_server.respond_slowly(5.0)
    synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, timeout=0.2)
    started = time.monotonic()
    try:
        error = await synthesize_error(synth)
    finally:
        await synth.aclose()

    assert time.monotonic() - started < 2
    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "provider_timeout",
        True,
    )


async def test_unreachable_provider() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    synth = ElevenLabsSynthesizer(API_KEY, base_url=f"http://127.0.0.1:{port}", timeout=2.0)
    try:
        error = await synthesize_error(synth)
    finally:
        await synth.aclose()

    assert (error.category, error.code, error.retryable) == (
        ErrorCategory.PROVIDER,
        "provider_unreachable",
        True,
    )
    assert_no_secret(error)


async def test_text_limits_are_checked_before_calling_the_provider(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, max_text_length=10)
    try:
        with pytest.raises(ValidationError) as too_long:
            await synth.synthesize("x" * 11, make_voice())
        with pytest.raises(ValidationError) as blank:
            await synth.synthesize("   ", make_voice())
    finally:
        await synth.aclose()

    assert too_long.value.code == "text_too_long"
    assert blank.value.code == "text_blank"
    assert elevenlabs_server.requests == []


async def test_injected_client_is_used_and_left_open(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    async with httpx.AsyncClient() as client:
        synth = ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url, client=client)
        result = await synth.synthesize(TEXT, make_voice())
        await synth.aclose()

        assert result.audio == FAKE_MP3
        assert not client.is_closed


async def test_owned_client_is_closed_by_aclose(
    elevenlabs_server: FakeElevenLabs,  # noqa: F811
) -> None:
    async with ElevenLabsSynthesizer(API_KEY, base_url=elevenlabs_server.url) as synth:
        await synth.synthesize(TEXT, make_voice())

    assert synth._client.is_closed
