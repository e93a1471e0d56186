"""Uploaded voice samples checked and converted by libsndfile and LAME, on real files."""

from __future__ import annotations

import io

import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration import audio_files
from voiceqr.adapters.audio.samples import SoundfileSampleAudio, sniff
from voiceqr.domain.shared.errors import ErrorCategory, ValidationError

audio = SoundfileSampleAudio()


def plays_for(mp3: bytes) -> float:
    return float(soundfile.info(io.BytesIO(mp3)).duration)


async def test_an_mp3_is_kept_as_it_was_with_its_duration() -> None:
    original = audio_files.mp3(2.0)
    sample = await audio.inspect_and_convert(original, "hello.mp3")
    assert sample.mp3 == original
    assert 1900 <= sample.duration_ms <= 2200  # LAME pads a frame or two


@pytest.mark.parametrize("make", [audio_files.wav, audio_files.ogg], ids=["wav", "ogg"])
async def test_wav_and_ogg_are_converted_to_mp3(make: object) -> None:
    assert callable(make)
    sample = await audio.inspect_and_convert(make(3.0), "take one")
    assert audio_files.is_mp3(sample.mp3)
    assert soundfile.info(io.BytesIO(sample.mp3)).format == "MP3"
    assert sample.duration_ms == pytest.approx(3000, abs=30)
    assert plays_for(sample.mp3) == pytest.approx(3.0, abs=0.2)


async def test_the_content_decides_not_the_file_name() -> None:
    sample = await audio.inspect_and_convert(audio_files.wav(1.5), "misnamed.ogg")
    assert audio_files.is_mp3(sample.mp3)
    with pytest.raises(ValidationError) as refused:
        await audio.inspect_and_convert(audio_files.TEXT_AS_MP3, "sample.mp3")
    assert refused.value.code == "sample_not_audio"
    assert "sample.mp3" in refused.value.message


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "sample_empty"),
        (audio_files.wav(0.4), "sample_too_short"),
        (audio_files.ten_minutes_of_silence(), "sample_too_long"),
        (audio_files.mp3(61.5), "sample_too_long"),  # MP3: the decoded length counts
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"not audio at all" * 50, "sample_unreadable"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(40), "sample_unreadable"),
        (b"%PDF-1.7\n" + bytes(100), "sample_not_audio"),
    ],
    ids=["empty", "short", "ten-minutes", "long-mp3", "id3-garbage", "broken-wav", "pdf"],
)
async def test_what_is_refused_and_why(data: bytes, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        await audio.inspect_and_convert(data, "upload.wav")
    assert refused.value.code == code


async def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded() -> None:
    small = SoundfileSampleAudio(max_bytes=1000)
    with pytest.raises(ValidationError) as refused:
        # Not even audio: had it been decoded, the refusal would say so instead.
        await small.inspect_and_convert(b"RIFF" + bytes(2000), "big.wav")
    assert refused.value.code == "sample_too_large"
    assert refused.value.category is ErrorCategory.TOO_LARGE
    assert refused.value.category.broad is ErrorCategory.VALIDATION


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_sniffing_never_calls_arbitrary_bytes_wav_or_ogg_without_their_magic(data: bytes) -> None:
    kind = sniff(data)
    if kind == "WAV":
        assert data[:4] == b"RIFF"
        assert data[8:12] == b"WAVE"
    elif kind == "OGG":
        assert data[:4] == b"OggS"
    elif kind == "MP3":
        assert data[:3] == b"ID3" or data[0] == 0xFF
