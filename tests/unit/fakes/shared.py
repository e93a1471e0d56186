"""Fakes of the ports several features use: speech, storage, QR, rate limits, and the
claims on periodic jobs."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Self
from uuid import UUID

from voiceqr.application.shared.ports import (
    AudioRange,
    SpeechResult,
)
from voiceqr.domain.generations.qr_design import QrDesign
from voiceqr.domain.shared.errors import (
    NotFound,
    StorageError,
    ValidationError,
)
from voiceqr.domain.voices.voice import Voice

SpeechStep = SpeechResult | bytes | BaseException


@dataclass(frozen=True, slots=True)
class SpeechCall:
    text: str
    voice_id: UUID
    provider_voice_id: str


class FakeSpeech:
    """A scriptable synthesizer.

    `script` is a queue of steps, one per call: a SpeechResult or bytes to return, or
    an exception to raise. Once it is empty every call returns `default_audio(text)`.
    `on_call` (sync or async) runs at the start of every call, before the step.
    """

    def __init__(
        self,
        provider: str = "espeak",
        *,
        max_text_length: int = 5000,
        script: Iterable[SpeechStep] = (),
        on_call: Callable[[SpeechCall], Awaitable[None] | None] | None = None,
        voice_ids: Iterable[str] | None = None,
    ) -> None:
        self.provider = provider
        # The provider's voice list (None: it knows every id); `accepts_error` is raised
        # by the next question about it (a provider that cannot be reached).
        self.voice_ids = None if voice_ids is None else set(voice_ids)
        self.accepts_error: BaseException | None = None
        self.max_text_length = max_text_length
        self.script: deque[SpeechStep] = deque(script)
        self.on_call = on_call
        self.calls: list[SpeechCall] = []

    def then(self, *steps: SpeechStep) -> Self:
        self.script.extend(steps)
        return self

    async def accepts(self, provider_voice_ids: Collection[str]) -> frozenset[str]:
        if self.accepts_error is not None:
            error, self.accepts_error = self.accepts_error, None
            raise error
        if self.voice_ids is None:
            return frozenset(provider_voice_ids)
        return frozenset(provider_voice_ids) & self.voice_ids

    @staticmethod
    def default_audio(text: str) -> bytes:
        return b"ID3\x04fake-mp3:" + text.encode()

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        call = SpeechCall(text=text, voice_id=voice.id, provider_voice_id=voice.provider_voice_id)
        self.calls.append(call)
        if self.on_call is not None:
            result = self.on_call(call)
            if result is not None:
                await result
        step: SpeechStep = (
            self.script.popleft() if self.script else SpeechResult(self.default_audio(text))
        )
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, bytes):
            return SpeechResult(step, characters_billed=len(text))
        return step


@dataclass(frozen=True, slots=True)
class StoredObject:
    data: bytes
    content_type: str


class FakeStorage:
    """A dict-backed audio store. `fail_puts` makes the next puts raise `put_error`."""

    def __init__(self, *, url_prefix: str = "/media") -> None:
        self.objects: dict[str, StoredObject] = {}
        self.url_prefix = url_prefix
        self.fail_puts = 0
        self.put_error: Exception = _storage_down()
        self.down = False
        self.puts: list[str] = []
        self.deletes: list[str] = []

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts.append(key)
        if self.fail_puts:
            self.fail_puts -= 1
            raise self.put_error
        self.objects[key] = StoredObject(bytes(data), content_type)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        data = bytearray()
        async for chunk in chunks:
            data += chunk
        await self.put(key, bytes(data), content_type)
        return len(data)

    async def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFound("This audio does not exist.", detail=key)
        return self.objects[key].data

    async def delete(self, key: str) -> None:
        self.deletes.append(key)
        self.objects.pop(key, None)

    async def read_range(self, key: str, start: int, end: int | None) -> AudioRange:
        data = await self.get(key)
        if start < 0 or start >= len(data) or (end is not None and end < start):
            raise ValidationError(
                "The requested range is not satisfiable.", code="range_not_satisfiable"
            )
        last = len(data) - 1 if end is None else min(end, len(data) - 1)

        async def chunks() -> AsyncIterator[bytes]:
            for offset in range(start, last + 1, 4):
                yield data[offset : min(offset + 4, last + 1)]

        return AudioRange(start=start, end=last, total=len(data), chunks=chunks())

    async def url(self, key: str) -> str:
        return f"{self.url_prefix}/{key}"

    async def check(self) -> None:
        if self.down:
            raise _storage_down()


def _storage_down() -> StorageError:
    return StorageError("The audio could not be saved.", detail="fake storage is failing")


class FakeQr:
    def __init__(self) -> None:
        self.drawn: list[tuple[str, str, int]] = []

    def svg(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("svg", data, size))
        return f'<svg xmlns="http://www.w3.org/2000/svg" data-qr="{data}" size="{size}"/>'.encode()

    def png(self, data: str, *, size: int) -> bytes:
        self.drawn.append(("png", data, size))
        return b"\x89PNG\r\n\x1a\n" + f"{size}:{data}".encode()

    def designed(
        self,
        data: str,
        design: QrDesign,
        *,
        kind: Literal["svg", "png", "pdf"],
        size: int,
        logo: bytes | None = None,
        label: str = "",
    ) -> bytes:
        """What was asked for, spelled out, so tests can see the design, logo and label."""
        self.drawn.append((kind, data, size))
        logo_text = logo.decode("latin-1") if logo else ""
        return f"{kind}:{size}:{data}:{design!r}:{logo_text}:{label}".encode()

    def clean_logo(self, image: bytes) -> bytes:
        """A logo is any data starting with "logo" (the real check is the adapter's)."""
        if not image.startswith(b"logo"):
            raise ValidationError("A logo must be a PNG or JPEG image.", code="invalid_qr_logo")
        return b"clean " + image


class FakeRateLimiter:
    """Counts hits per key; `limit_all` makes every key over its limit."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.limit_all = False

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> bool:
        self.hits[key] = self.hits.get(key, 0) + 1
        return not self.limit_all and self.hits[key] <= limit

    async def reset(self, key: str) -> None:
        self.hits.pop(key, None)


class FakeScheduleClaims:
    """Next runs in a dict; each claim yields to the other workers first, then sets
    atomically (as the database's conditional UPDATE does)."""

    def __init__(self) -> None:
        self.next_run_at: dict[str, datetime] = {}

    async def claim(self, name: str, *, now: datetime, next_run_at: datetime) -> bool:
        await asyncio.sleep(0)
        due = self.next_run_at.get(name)
        if due is not None and due > now:
            return False
        self.next_run_at[name] = next_run_at
        return True


class FakeCountries:
    """Every address is from nowhere known (the offline database is not loaded)."""

    def __init__(self, countries: dict[str, str] | None = None) -> None:
        self.countries = countries or {}

    def country(self, ip: str) -> str:
        return self.countries.get(ip, "")
