"""Real audio files for the tests of uploaded voice samples, made on the spot.

WAV with the standard library's `wave`, MP3 with `lameenc` (as the espeak adapter
encodes), Ogg Vorbis with `soundfile`: a few seconds of a tone, or of silence for the
long ones (a low sample rate keeps a ten-minute file small).
"""

from __future__ import annotations

import io
import math
import struct
import wave

import lameenc
import numpy as np
import soundfile


def tone(seconds: float, rate: int = 16_000) -> bytes:
    """Mono 16-bit PCM of a 440 Hz tone."""
    frames = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
    )


def wav(seconds: float = 2.0, *, rate: int = 16_000, silent: bool = False) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(int(seconds * rate) * 2) if silent else tone(seconds, rate))
    return buffer.getvalue()


def mp3(seconds: float = 2.0, *, rate: int = 16_000) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    return bytes(encoder.encode(tone(seconds, rate)) + encoder.flush())


def ogg(seconds: float = 2.0, *, rate: int = 16_000) -> bytes:
    buffer = io.BytesIO()
    samples = np.frombuffer(tone(seconds, rate), dtype=np.int16)
    soundfile.write(buffer, samples, rate, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def ten_minutes_of_silence() -> bytes:
    """A real WAV that plays for ten minutes, under 5 MB (8 kHz)."""
    return wav(600, rate=8_000, silent=True)


TEXT_AS_MP3 = b"This is a text file that someone renamed to sample.mp3.\n" * 20


def is_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
