"""Uploaded voice samples checked and converted to MP3 with libsndfile and LAME.

libsndfile (the `soundfile` wheel bundles it, with its MP3, Vorbis and Opus decoders)
reads MP3, WAV and Ogg and says how long they play; `lameenc` encodes MP3 as the espeak
adapter does. A maintained decoder is trusted with what users send rather than a
hand-written parser. Decoding is CPU work, so it runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from voiceqr.application.voices.ports import ConvertedSample
from voiceqr.domain.shared.errors import ErrorCategory, ValidationError
from voiceqr.domain.voices.samples import MAX_SAMPLE_BYTES

if TYPE_CHECKING:
    # numpy, libsndfile and LAME are imported by the calls that need them (a sample
    # upload), not at start: numpy alone is a quarter of a second of every start.
    import numpy as np
    import soundfile

MP3: Final = "MP3"
WAV: Final = "WAV"
OGG: Final = "OGG"
_BLOCK_FRAMES: Final = 16_384
_MP3_BIT_RATE: Final = 128


@dataclass(frozen=True, slots=True)
class SoundfileSampleAudio:
    """SampleAudio on libsndfile (decoding, duration) and LAME (encoding)."""

    max_bytes: int = MAX_SAMPLE_BYTES
    min_seconds: float = 1.0
    max_seconds: float = 60.0

    async def inspect_and_convert(self, data: bytes, filename: str) -> ConvertedSample:
        # The cheap checks first, on the event loop: no thread for a file refused at once.
        kind = self._sniff(data, filename)
        return await asyncio.to_thread(self._decode_and_convert, data, kind, filename)

    def _sniff(self, data: bytes, filename: str) -> str:
        name = _shown(filename)
        if not data:
            raise ValidationError(f"{name} is empty.", code="sample_empty")
        if len(data) > self.max_bytes:
            raise ValidationError(
                f"{name} is larger than {self.max_bytes // (1024 * 1024)} MB.",
                code="sample_too_large",
                category=ErrorCategory.TOO_LARGE,
            )
        kind = sniff(data)
        if kind is None:
            raise ValidationError(
                f"{name} is not an MP3, WAV or Ogg audio file.", code="sample_not_audio"
            )
        return kind

    def _decode_and_convert(self, data: bytes, kind: str, filename: str) -> ConvertedSample:
        import soundfile

        name = _shown(filename)
        try:
            with soundfile.SoundFile(io.BytesIO(data)) as audio:
                rate, channels = int(audio.samplerate), int(audio.channels)
                # The header's length refuses a long file before decoding it; MP3 headers
                # can only estimate it, so the decoded length is checked again below.
                if rate <= 0 or (audio.frames and audio.frames / rate > self.max_seconds + 1):
                    raise self._too_long(name)
                pcm = self._decode(audio, rate, name)
        except soundfile.LibsndfileError as exc:
            raise ValidationError(
                f"{name} could not be read as audio.", code="sample_unreadable", detail=str(exc)
            ) from None
        frames = len(pcm) // channels if channels else 0
        if frames == 0:
            raise ValidationError(f"{name} holds no sound.", code="sample_unreadable")
        seconds = frames / rate
        if seconds < self.min_seconds:
            raise ValidationError(
                f"{name} plays for less than {self.min_seconds:g} second.",
                code="sample_too_short",
            )
        if seconds > self.max_seconds:
            raise self._too_long(name)
        mp3 = data if kind == MP3 else _encode_mp3(pcm, rate, channels)
        return ConvertedSample(mp3=mp3, duration_ms=round(seconds * 1000))

    def _decode(self, audio: soundfile.SoundFile, rate: int, name: str) -> np.ndarray:
        """Every frame as interleaved 16-bit samples, stopping once past the limit."""
        import numpy as np

        blocks: list[np.ndarray] = []
        frames, limit = 0, int(self.max_seconds * rate) + rate
        while True:
            block = audio.read(_BLOCK_FRAMES, dtype="int16", always_2d=True)
            if not len(block):
                break
            blocks.append(block)
            frames += len(block)
            if frames > limit:
                raise self._too_long(name)
        if not blocks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(blocks).reshape(-1)

    def _too_long(self, name: str) -> ValidationError:
        return ValidationError(
            f"{name} plays for more than {self.max_seconds:g} seconds.", code="sample_too_long"
        )


def sniff(data: bytes) -> str | None:
    """MP3, WAV or OGG from the file's first bytes, or None for anything else."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data[:4] == b"OggS":
        return OGG
    if data[:3] == b"ID3":
        return MP3
    if len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06:
        return MP3  # an MPEG audio frame's sync word, with a layer set
    return None


def _encode_mp3(pcm: np.ndarray, rate: int, channels: int) -> bytes:
    import lameenc
    import numpy as np

    if channels > 2:  # LAME takes mono or stereo: a voice loses nothing as mono
        pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
        channels = 1
    try:
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(_MP3_BIT_RATE)
        encoder.set_in_sample_rate(rate)
        encoder.set_channels(channels)
        encoder.set_quality(2)
        return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())
    except RuntimeError as exc:  # LAME refuses a sample rate MP3 cannot carry
        raise ValidationError(
            f"This audio ({rate} Hz) cannot be converted to MP3.",
            code="sample_unreadable",
            detail=str(exc),
        ) from None


def _shown(filename: str) -> str:
    """The file's name as a message quotes it (short, one line, printable)."""
    name = "".join(c for c in " ".join(filename.split()) if c.isprintable())[:80]
    return f"“{name}”" if name else "The file"
