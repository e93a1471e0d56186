"""Embedded speech synthesis with espeak-ng, encoded to MP3 with LAME.

Needs no service and no network: the shared library and its data ship with the
`espeakng-loader` wheel and the encoder with `lameenc`.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final

import espeakng_loader
import lameenc

from voiceqr.application.shared.ports import SpeechResult
from voiceqr.domain.generations.generation import clean_text
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.domain.voices.voice import Voice

_AUDIO_OUTPUT_SYNCHRONOUS: Final = 2
_ESPEAK_INITIALIZE_DONT_EXIT: Final = 0x8000
_ESPEAK_CHARS_UTF8: Final = 1
_ESPEAK_ENDPAUSE: Final = 0x1000
_POS_CHARACTER: Final = 1
_EE_OK: Final = 0
_EE_NOT_FOUND: Final = 2

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Voice(ctypes.Structure):
    """espeak-ng's `espeak_VOICE`, as `espeak_ListVoices` lists them."""

    _fields_ = (
        ("name", ctypes.c_char_p),
        # (priority byte, language name, NUL) repeated, ended by a zero priority byte.
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


# How a failure of the engine reaches the user: (message, category, code, retryable).
_UNKNOWN_VOICE = ("This voice is not available.", ErrorCategory.VALIDATION, "unknown_voice", False)
_ENGINE_FAILED = (
    "The speech engine failed; please try again.",
    ErrorCategory.PROVIDER,
    "espeak_failed",
    True,
)


class _EspeakError(Exception):
    def __init__(self, message: str, *, unknown_voice: bool = False) -> None:
        super().__init__(message)
        self.unknown_voice = unknown_voice


class _Engine:
    """The process-wide espeak-ng library: one instance, used under `_LOCK` only."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))

        data_path = espeakng_loader.get_data_path()
        sample_rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _ESPEAK_INITIALIZE_DONT_EXIT
        )
        if sample_rate <= 0:
            raise _EspeakError(f"espeak_Initialize failed with {sample_rate}")
        self.sample_rate: int = sample_rate
        self.variants: frozenset[str] = frozenset(
            entry.name for entry in (Path(data_path) / "voices" / "!v").iterdir()
        )
        self._lib = lib
        self.voice_names: frozenset[str] = self._list_voice_names()
        self._chunks: list[bytes] = []
        # The library keeps only a raw pointer, so the ctypes wrapper must outlive it.
        self._callback = _SynthCallback(self._collect)
        lib.espeak_SetSynthCallback(self._callback)

    def _list_voice_names(self) -> frozenset[str]:
        """Every name `espeak_SetVoiceByName` finds a voice by, lower-case: each voice's
        name, its file (with and without the language family) and its languages."""
        names: set[str] = set()
        listed = self._lib.espeak_ListVoices(None)
        index = 0
        while listed[index]:
            voice = listed[index].contents
            identifier = (voice.identifier or b"").decode(errors="replace")
            names |= {(voice.name or b"").decode(errors="replace"), identifier}
            names.add(identifier.rpartition("/")[2])
            cursor = voice.languages
            while cursor and ctypes.string_at(cursor, 1)[0]:
                language = ctypes.string_at(cursor + 1)
                names.add(language.decode(errors="replace"))
                cursor += 2 + len(language)
            index += 1
        return frozenset(name.lower() for name in names if name)

    def accepts(self, voice_id: str) -> bool:
        """Whether `voice_id` (a voice name with an optional `+variant`) names a voice."""
        name, plus, variant = voice_id.partition("+")
        if "\x00" in voice_id or (plus and variant not in self.variants):
            return False
        return name.strip().lower() in self.voice_names

    def _collect(
        self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None
    ) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * ctypes.sizeof(ctypes.c_short)))
        return 0

    def synthesize(self, text: str, voice_id: str) -> bytes:
        name, _, variant = voice_id.partition("+")
        if not name.strip() or "\x00" in voice_id or (variant and variant not in self.variants):
            raise _EspeakError(f"no espeak-ng voice {voice_id!r}", unknown_voice=True)
        status = self._lib.espeak_SetVoiceByName(voice_id.encode())
        if status == _EE_NOT_FOUND:
            raise _EspeakError(f"no espeak-ng voice {voice_id!r}", unknown_voice=True)
        if status != _EE_OK:
            raise _EspeakError(f"espeak_SetVoiceByName({voice_id!r}) failed with {status}")

        encoded = text.encode("utf-8", errors="replace") + b"\x00"
        self._chunks = []
        try:
            status = self._lib.espeak_Synth(
                encoded,
                len(encoded),
                0,
                _POS_CHARACTER,
                0,
                _ESPEAK_CHARS_UTF8 | _ESPEAK_ENDPAUSE,
                None,
                None,
            )
            pcm = b"".join(self._chunks)
        finally:
            self._chunks = []
        if status != _EE_OK:
            raise _EspeakError(f"espeak_Synth failed with {status}")
        return pcm


_LOCK = threading.Lock()
_engine: _Engine | None = None
# Threads of their own: one says a text while the other encodes the one before. On the
# event loop's shared pool, every generation waiting for the lock held a thread, and
# everything else that pool runs (password checks at sign-in, file reads and writes,
# reading the user agents of stored scans) queued behind minutes of speech.
_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="espeak")


def _loaded_engine() -> _Engine:
    """The engine, loaded on first use; call with `_LOCK` held."""
    global _engine
    if _engine is None:
        try:
            _engine = _Engine()
        except OSError as exc:
            raise _EspeakError(f"cannot load espeak-ng: {exc}") from exc
    return _engine


def _synthesize_pcm(text: str, voice_id: str) -> tuple[bytes, int]:
    with _LOCK:
        engine = _loaded_engine()
        return engine.synthesize(text, voice_id), engine.sample_rate


def _accepted(voice_ids: Collection[str]) -> frozenset[str]:
    with _LOCK:
        engine = _loaded_engine()
        return frozenset(v for v in voice_ids if engine.accepts(v))


def _encode_mp3(pcm: bytes, sample_rate: int, bit_rate: int) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bit_rate)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(1)
    encoder.set_quality(2)
    return bytes(encoder.encode(pcm) + encoder.flush())


class EspeakSynthesizer:
    """SpeechSynthesizer over the embedded espeak-ng engine, producing MP3.

    espeak-ng is a process-global, non-thread-safe library, so synthesis is
    serialised behind one lock and runs on two threads of its own, keeping both the
    event loop and its shared thread pool free.
    """

    provider = "espeak"

    def __init__(self, *, max_text_length: int = 5000, bit_rate: int = 64) -> None:
        self.max_text_length = max_text_length
        self.bit_rate = bit_rate

    async def synthesize(self, text: str, voice: Voice) -> SpeechResult:
        text = clean_text(text, max_length=self.max_text_length)
        try:
            audio = await asyncio.get_running_loop().run_in_executor(
                _THREADS, self._render, text, voice.provider_voice_id
            )
        except _EspeakError as exc:
            message, category, code, retryable = (
                _UNKNOWN_VOICE if exc.unknown_voice else _ENGINE_FAILED
            )
            raise SpeechError(
                message, category=category, code=code, retryable=retryable, detail=str(exc)
            ) from exc
        return SpeechResult(audio=audio, characters_billed=len(text))

    async def accepts(self, provider_voice_ids: Collection[str]) -> frozenset[str]:
        """The ids naming a voice of the bundled espeak-ng (`+variant` suffixes included)."""
        wanted = tuple(provider_voice_ids)
        try:
            return await asyncio.get_running_loop().run_in_executor(_THREADS, _accepted, wanted)
        except _EspeakError as exc:
            message, category, code, retryable = _ENGINE_FAILED
            raise SpeechError(
                message, category=category, code=code, retryable=retryable, detail=str(exc)
            ) from exc

    def _render(self, text: str, voice_id: str) -> bytes:
        pcm, sample_rate = _synthesize_pcm(text, voice_id)
        if not pcm:
            raise _EspeakError(f"espeak-ng produced no audio for voice {voice_id!r}")
        try:
            return _encode_mp3(pcm, sample_rate, self.bit_rate)
        except Exception as exc:
            raise _EspeakError(f"MP3 encoding failed: {exc}") from exc
