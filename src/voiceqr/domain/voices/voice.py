"""The voice gallery (C1): what a voice is and what makes one valid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError


@dataclass(frozen=True, slots=True)
class VoiceSample:
    """One audio sample of a voice, stored in the audio store under `key`.

    A voice's list of samples is in display order; `duration_ms` is 0 when unknown
    (samples stored before durations were measured).
    """

    id: UUID
    key: str
    label: str = "Sample"
    duration_ms: int = 0


@dataclass(slots=True)
class Voice:
    id: UUID
    name: str
    provider: str
    provider_voice_id: str
    description: str = ""
    type: str = ""
    language: str = ""
    region: str = ""
    age: str = ""
    style: str = ""
    samples: list[VoiceSample] = field(default_factory=list)
    published: bool = False
    priority: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        self.name = self.name.strip()
        if not self.name:
            raise ValidationError("A voice needs a name.", code="voice_name_blank")
        if len(self.name) > 100:
            raise ValidationError(
                "A voice name has at most 100 characters.", code="voice_name_too_long"
            )
        if not self.provider.strip():
            raise ValidationError("A voice needs a speech provider.", code="voice_provider_blank")
        if not self.provider_voice_id.strip():
            raise ValidationError(
                "A voice needs the provider's voice id.", code="voice_provider_id_blank"
            )
