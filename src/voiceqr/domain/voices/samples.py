"""A voice's samples: how many it may have, what a label may say, and their order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from uuid import UUID

from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.text import is_blank, refuse_control_characters
from voiceqr.domain.voices.voice import VoiceSample

MAX_SAMPLES_PER_VOICE = 12
MAX_SAMPLE_BYTES = 10 * 1024 * 1024  # an uploaded file
MAX_LABEL_LENGTH = 60
MAX_SAMPLE_TEXT_LENGTH = 300  # a sample is a few seconds of speech


def sample_key(voice_id: UUID, sample_id: UUID) -> str:
    """Where a sample's MP3 lives in the audio store."""
    return f"samples/{voice_id}/{sample_id}.mp3"


def clean_label(label: str) -> str:
    """The label as shown next to the player, or a ValidationError saying what is wrong."""
    cleaned = " ".join(label.split())
    if is_blank(cleaned):
        raise ValidationError("Give the sample a label.", code="sample_label_blank")
    refuse_control_characters(cleaned, what="A sample's label")
    if len(cleaned) > MAX_LABEL_LENGTH:
        raise ValidationError(
            f"A sample's label has at most {MAX_LABEL_LENGTH} characters.",
            code="sample_label_too_long",
        )
    return cleaned


def label_from_filename(filename: str) -> str:
    """An uploaded file's name without folders or extension, as its first label."""
    name = PurePosixPath(PureWindowsPath(filename).name).name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    try:
        return clean_label(stem.replace("_", " "))
    except ValidationError:
        return "Sample"


def clean_sample_text(text: str) -> str:
    """The text a voice speaks for a sample of itself."""
    cleaned = text.strip()
    if is_blank(cleaned):
        raise ValidationError("Type the text the voice should say.", code="text_blank")
    refuse_control_characters(cleaned, what="The text", multiline=True)
    if len(cleaned) > MAX_SAMPLE_TEXT_LENGTH:
        raise ValidationError(
            f"A sample's text has at most {MAX_SAMPLE_TEXT_LENGTH} characters.",
            code="text_too_long",
        )
    return cleaned


def check_room(current: int, adding: int) -> None:
    """Refuse adding samples past the most a voice may have."""
    if current + adding > MAX_SAMPLES_PER_VOICE:
        left = max(0, MAX_SAMPLES_PER_VOICE - current)
        raise ValidationError(
            f"A voice has at most {MAX_SAMPLES_PER_VOICE} samples; "
            f"this one has room for {left} more.",
            code="too_many_samples",
        )


def reordered(samples: Sequence[VoiceSample], ids: Sequence[UUID]) -> list[VoiceSample]:
    """The samples in the order of `ids`, which must name each sample exactly once."""
    by_id = {s.id: s for s in samples}
    if len(ids) != len(by_id) or set(ids) != set(by_id):
        raise ValidationError(
            "Send every sample of the voice exactly once, in the new order.",
            code="sample_order_mismatch",
        )
    return [by_id[i] for i in ids]


def find_sample(samples: Sequence[VoiceSample], sample_id: UUID) -> VoiceSample:
    """The sample with this id, or NotFound."""
    for sample in samples:
        if sample.id == sample_id:
            return sample
    raise NotFound("This voice has no such sample.", code="sample_not_found")
