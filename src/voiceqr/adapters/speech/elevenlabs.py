"""Production speech synthesis with the ElevenLabs text-to-speech HTTP API."""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import httpx

from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.generations.generation import clean_text
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice

OUTPUT_FORMAT: Final = "mp3_44100_128"
_DETAIL_LIMIT: Final = 2048
_BILLING_HEADERS: Final = ("character-cost", "x-character-count")
# Why no answer came, most specific first (a timeout is also a transport error): all
# of them may pass on another attempt.
_NO_ANSWER: Final[tuple[tuple[type[httpx.HTTPError], str, str], ...]] = (
    (
        httpx.TimeoutException,
        "The speech provider took too long to answer; please try again.",
        "provider_timeout",
    ),
    (
        httpx.TransportError,
        "The speech provider cannot be reached; please try again.",
        "provider_unreachable",
    ),
    (
        httpx.HTTPError,
        "The speech provider sent an unreadable answer; please try again.",
        "provider_error",
    ),
)

# What an answer without audio tells the user, by the code it is reported with: the
# message, the category and whether another attempt may pass.
_REFUSALS: Final[dict[str, tuple[str, ErrorCategory, bool]]] = {
    "empty_audio": (
        "The speech provider returned no audio; please try again.",
        ErrorCategory.PROVIDER,
        True,
    ),
    "quota_exceeded": ("The speech quota is used up.", ErrorCategory.QUOTA, False),
    "invalid_api_key": (
        "The speech provider is not configured correctly.",
        ErrorCategory.PROVIDER,
        False,
    ),
    "unauthorized": ("The speech provider refused the request.", ErrorCategory.PROVIDER, False),
    "payment_required": (
        "The speech provider plan does not allow this request.",
        ErrorCategory.QUOTA,
        False,
    ),
    "unknown_voice": ("This voice is not available.", ErrorCategory.VALIDATION, False),
    "provider_validation": (
        "The speech provider could not process this text.",
        ErrorCategory.VALIDATION,
        False,
    ),
    "rate_limited": (
        "The speech provider is busy; please try again shortly.",
        ErrorCategory.PROVIDER,
        True,
    ),
    "provider_unavailable": (
        "The speech provider is unavailable; please try again.",
        ErrorCategory.PROVIDER,
        True,
    ),
    "provider_error": ("The speech provider rejected the request.", ErrorCategory.PROVIDER, False),
}
_BY_HTTP_CODE: Final[dict[int, str]] = {
    httpx.codes.UNAUTHORIZED: "unauthorized",
    httpx.codes.FORBIDDEN: "unauthorized",
    httpx.codes.PAYMENT_REQUIRED: "payment_required",
    httpx.codes.NOT_FOUND: "unknown_voice",
    httpx.codes.BAD_REQUEST: "provider_validation",
    httpx.codes.UNPROCESSABLE_ENTITY: "provider_validation",
    httpx.codes.TOO_MANY_REQUESTS: "rate_limited",
}
# Refusals reported with the provider's own status when it names one.
_NAMED_BY_PROVIDER: Final = frozenset({"payment_required", "rate_limited"})
# Refusals whose `Retry-After` says when to try again.
_COME_BACK_LATER: Final = frozenset({"rate_limited", "provider_unavailable"})


class ElevenLabsSynthesizer:
    """SpeechSynthesizer over the ElevenLabs API, producing 44.1 kHz / 128 kbps MP3.

    Provider failures become `SpeechError`s whose `message` is safe to show and
    whose `detail` carries the status code and (truncated) response body for admins.
    """

    provider = "elevenlabs"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.elevenlabs.io",
        model_id: str = "eleven_multilingual_v2",
        timeout: float = 30.0,
        max_text_length: int = 5000,
        stability: float = 0.5,
        similarity_boost: float = 0.75,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.max_text_length = max_text_length
        self.model_id = model_id
        self.stability = stability
        self.similarity_boost = similarity_boost
        self._api_key = api_key
        self._base_url = base_url.rstrip("/")
        self._timeout = httpx.Timeout(timeout)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=self._timeout)

    async def aclose(self) -> None:
        """Close the HTTP client if this synthesizer created it."""
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        text = clean_text(text, max_length=self.max_text_length)
        url = f"{self._base_url}/v1/text-to-speech/{quote(voice.provider_voice_id, safe='')}"
        try:
            response = await self._client.post(
                url,
                params={"output_format": OUTPUT_FORMAT},
                headers={"xi-api-key": self._api_key, "Accept": "audio/mpeg"},
                json={
                    "text": text,
                    "model_id": self.model_id,
                    "voice_settings": {
                        "stability": self.stability,
                        "similarity_boost": self.similarity_boost,
                    },
                },
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise self._no_answer(exc) from exc

        if response.status_code == httpx.codes.OK and response.content:
            return SpeechResult(
                audio=response.content,
                content_type="audio/mpeg",
                characters_billed=_characters_billed(response, text),
            )
        raise self._error_for(response)

    async def accepts(self, provider_voice_ids: Collection[str]) -> frozenset[str]:
        """The ids among `provider_voice_ids` that the account's voice list holds
        (GET /v1/voices: the premade voices and the account's own)."""
        try:
            response = await self._client.get(
                f"{self._base_url}/v1/voices",
                headers={"xi-api-key": self._api_key, "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise self._no_answer(exc) from exc
        if response.status_code != httpx.codes.OK:
            raise self._error_for(response)
        try:
            listed = {str(voice["voice_id"]) for voice in response.json()["voices"]}
        except (ValueError, KeyError, TypeError) as exc:
            raise SpeechError(
                "The speech provider sent an unreadable voice list; please try again.",
                category=ErrorCategory.PROVIDER,
                code="provider_error",
                retryable=True,
                detail=self._detail(response),
            ) from exc
        return frozenset(provider_voice_ids) & listed

    def _no_answer(self, exc: httpx.HTTPError) -> SpeechError:
        message, code = next(
            (message, code) for kind, message, code in _NO_ANSWER if isinstance(exc, kind)
        )
        return SpeechError(
            message,
            category=ErrorCategory.PROVIDER,
            code=code,
            retryable=True,
            detail=self._redact(f"{type(exc).__name__}: {exc}"),
        )

    def _error_for(self, response: httpx.Response) -> SpeechError:
        status = _provider_status(response)
        refusal = _refusal(response.status_code, status)
        message, category, retryable = _REFUSALS[refusal]
        return SpeechError(
            message,
            category=category,
            code=(status or refusal) if refusal in _NAMED_BY_PROVIDER else refusal,
            retryable=retryable,
            retry_after=_retry_after(response) if refusal in _COME_BACK_LATER else None,
            detail=self._detail(response),
        )

    def _detail(self, response: httpx.Response) -> str:
        body = response.content[:_DETAIL_LIMIT].decode("utf-8", errors="replace")
        if len(response.content) > _DETAIL_LIMIT:
            body += "…"
        return self._redact(f"HTTP {response.status_code}: {body}")

    def _redact(self, text: str) -> str:
        if self._api_key:
            return text.replace(self._api_key, "[redacted]")
        return text


def _refusal(code: int, status: str | None) -> str:
    """Which of `_REFUSALS` an answer without audio is, from its HTTP code and the
    provider's status (most specific first)."""
    if code == httpx.codes.OK:
        return "empty_audio"
    if status == "quota_exceeded" and 400 <= code < 500:
        return "quota_exceeded"
    if status == "invalid_api_key" and code == httpx.codes.UNAUTHORIZED:
        return "invalid_api_key"
    by_code = _BY_HTTP_CODE.get(code, "provider_unavailable" if code >= 500 else "provider_error")
    # The provider naming the voice as missing outranks any code but a refused account.
    if status == "voice_not_found" and by_code not in ("unauthorized", "payment_required"):
        return "unknown_voice"
    return by_code


def _provider_status(response: httpx.Response) -> str | None:
    """The machine-readable `detail.status` of an ElevenLabs error body, if any."""
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        return None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        status = detail.get("status")
        return status if isinstance(status, str) and status else None
    return None


def _characters_billed(response: httpx.Response, text: str) -> int:
    for header in _BILLING_HEADERS:
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            return max(int(value.strip()), 0)
        except ValueError:
            continue
    return len(text)


def _retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header as seconds, from either delta-seconds or an HTTP date."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
