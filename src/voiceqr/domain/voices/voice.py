"""The voice gallery: what a voice is and what makes one valid.

Every text field has one limit, stated here and nowhere else: the database columns are
made from these numbers, and the HTTP schemas read them to refuse a longer value before
it reaches a use case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from uuid import UUID

from voiceqr.domain.shared.errors import ValidationError

NAME_MAX: Final = 100
DESCRIPTION_MAX: Final = 2000
PROVIDER_MAX: Final = 30
PROVIDER_VOICE_ID_MAX: Final = 200
# Gender (`type`), language, region, accent, age and style: short words to filter by.
TRAIT_MAX: Final = 50
TRAITS: Final = ("type", "language", "region", "accent", "age", "style")
LABEL_MAX: Final = 30  # one tag or category
LABELS_MAX: Final = 20  # tags (or categories) on one voice
SAMPLE_LABEL_MAX: Final = 100
# Below zero pushes a voice under those left at the default.
PRIORITY_MIN: Final = -1_000_000
PRIORITY_MAX: Final = 1_000_000

# What a voice is good for: the content types a user can ask a recommendation for.
USE_CASES: Final = (
    "narration",
    "museum-guide",
    "advertising",
    "children",
    "announcements",
    "audiobook",
    "education",
    "conversational",
    "news",
    "accessibility",
    "greetings",
)


@dataclass(frozen=True, slots=True)
class VoiceSample:
    """One audio sample of a voice, stored in the audio store under `key`.

    A voice's list of samples is in display order.
    """

    id: UUID
    key: str
    label: str = "Sample"
    duration_ms: int = 0

    def __post_init__(self) -> None:
        if len(self.label) > SAMPLE_LABEL_MAX:
            raise ValidationError(
                f"A sample label has at most {SAMPLE_LABEL_MAX} characters.",
                code="sample_label_too_long",
            )
        if self.duration_ms < 0:
            raise ValidationError("A sample cannot last less than nothing.", code="invalid")


@dataclass(frozen=True, slots=True)
class Editor:
    """Who made or last changed a voice, as they were named then: the name stays when
    their account goes."""

    id: UUID | None
    name: str


@dataclass(slots=True)
class Voice:
    id: UUID
    name: str
    provider: str
    provider_voice_id: str
    description: str = ""
    type: str = ""  # the gender the gallery filters by
    language: str = ""
    region: str = ""
    accent: str = ""
    age: str = ""
    style: str = ""
    use_cases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    samples: list[VoiceSample] = field(default_factory=list)
    published: bool = False
    priority: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: Editor | None = None
    updated_by: Editor | None = None

    def __post_init__(self) -> None:
        self.name = self.name.strip()
        if not self.name:
            raise ValidationError("A voice needs a name.", code="voice_name_blank")
        _at_most(self.name, NAME_MAX, "A voice name", "voice_name_too_long")
        if not self.provider.strip():
            raise ValidationError("A voice needs a speech provider.", code="voice_provider_blank")
        _at_most(self.provider, PROVIDER_MAX, "A provider name", "voice_provider_too_long")
        if not self.provider_voice_id.strip():
            raise ValidationError(
                "A voice needs the provider's voice id.", code="voice_provider_id_blank"
            )
        _at_most(
            self.provider_voice_id,
            PROVIDER_VOICE_ID_MAX,
            "A provider voice id",
            "voice_provider_id_too_long",
        )
        _at_most(self.description, DESCRIPTION_MAX, "A description", "voice_description_too_long")
        for trait in TRAITS:
            value = getattr(self, trait).strip()
            _at_most(value, TRAIT_MAX, f"The {_trait_name(trait)}", "voice_field_too_long")
            setattr(self, trait, value)
        if not PRIORITY_MIN <= self.priority <= PRIORITY_MAX:
            raise ValidationError(
                f"A display priority is between {PRIORITY_MIN} and {PRIORITY_MAX}.",
                code="voice_priority_out_of_range",
            )
        self.use_cases = check_use_cases(self.use_cases)
        self.tags = check_labels(self.tags, what="tag")
        self.categories = check_labels(self.categories, what="category")


def _trait_name(trait: str) -> str:
    return "gender" if trait == "type" else trait


def _at_most(value: str, limit: int, what: str, code: str) -> None:
    if len(value) > limit:
        raise ValidationError(f"{what} has at most {limit} characters.", code=code)


def check_use_cases(values: Iterable[str]) -> tuple[str, ...]:
    """Known use cases, lower-case, each once in the order given; an unknown one is refused."""
    found = check_labels(values, what="use case")
    unknown = [value for value in found if value not in USE_CASES]
    if unknown:
        raise ValidationError(
            f"Unknown use case {', '.join(repr(u) for u in unknown)} "
            f"(known: {', '.join(USE_CASES)}).",
            code="unknown_use_case",
        )
    return found


def check_labels(values: Iterable[str], *, what: str) -> tuple[str, ...]:
    """Tags or categories as stored: trimmed, lower-case, each once, bounded in length
    and number."""
    if isinstance(values, str):  # a lone string is not a list of one-letter labels
        values = (values,)
    found: list[str] = []
    for value in values:
        label = " ".join(value.split()).lower()
        if not label:
            raise ValidationError(f"A {what} cannot be blank.", code="voice_label_blank")
        _at_most(label, LABEL_MAX, f"A {what}", "voice_label_too_long")
        if label not in found:
            found.append(label)
    if len(found) > LABELS_MAX:
        raise ValidationError(
            f"A voice has at most {LABELS_MAX} of each kind of label ({what}).",
            code="voice_too_many_labels",
        )
    return tuple(found)


def publishing_problems(voice: Voice, *, provider_accepts: bool) -> list[str]:
    """Why `voice` cannot be published yet (empty: it can): people must be able to hear
    it before they pick it, and every generation with it must be able to succeed."""
    problems: list[str] = []
    if not voice.samples:
        problems.append("it has no sample")
    if not provider_accepts:
        problems.append(f"{voice.provider} does not know the voice id {voice.provider_voice_id!r}")
    return problems
