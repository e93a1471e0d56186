"""A voice's form on the staff pages: the values it shows (a voice's, or what was typed)
and what it posts, turned into a new voice or the changes of one.

Tags and categories are typed comma-separated; the domain trims, lower-cases and
de-duplicates them (`check_labels`), so the form only splits. Use cases are checkboxes
of the domain's list; an unknown one (a forged form) is the domain's to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import FormMultiDict

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.voices.voice import TRAITS, Voice

# The fields typed as one line (or the description) and kept as typed.
TEXT_FIELDS = ("name", "provider", "provider_voice_id", "description", *TRAITS)
LABEL_FIELDS = ("tags", "categories")  # comma-separated in the form


@dataclass(frozen=True, slots=True)
class VoiceForm:
    """What the voice form shows: every field as text, and the ticked use cases."""

    values: Mapping[str, str] = field(default_factory=dict)
    use_cases: tuple[str, ...] = ()

    @classmethod
    def of(cls, voice: Voice | None) -> VoiceForm:
        """The form of an existing voice, or the blank form of a new one."""
        if voice is None:
            return cls({"provider": "espeak", "priority": "0"})
        values = {name: str(getattr(voice, name)) for name in TEXT_FIELDS}
        values |= {name: ", ".join(getattr(voice, name)) for name in LABEL_FIELDS}
        return cls({**values, "priority": str(voice.priority)}, voice.use_cases)

    @classmethod
    def posted(cls, form: FormMultiDict) -> VoiceForm:
        """The form as the browser sent it (files and unknown fields left out)."""
        values = {
            name: str(form.get(name, "")) for name in (*TEXT_FIELDS, *LABEL_FIELDS, "priority")
        }
        return cls(values, tuple(str(v) for v in form.getall("use_cases", [])))

    def fields(self) -> dict[str, Any]:
        """Every field the form edits, typed as a voice holds it (the domain checks them)."""
        try:
            priority = int(self.values.get("priority", "0").strip() or 0)
        except ValueError:
            raise ValidationError(
                "The priority is a whole number.", code="priority_invalid"
            ) from None
        typed: dict[str, Any] = {name: self.values.get(name, "").strip() for name in TEXT_FIELDS}
        for name in LABEL_FIELDS:
            parts = (part.strip() for part in self.values.get(name, "").split(","))
            typed[name] = tuple(part for part in parts if part)
        return {**typed, "use_cases": self.use_cases, "priority": priority}

    def spec(self) -> VoiceSpec:
        """A new voice: unpublished, as it has no sample yet (published from its page)."""
        return VoiceSpec(**self.fields(), published=False)

    def changes(self, voice: Voice) -> dict[str, Any]:
        """The fields of `voice` this form changes (as typed: the domain normalises them),
        so an untouched provider voice id does not send the provider a question."""
        return {
            name: value
            for name, value in self.fields().items()
            if _normal(value) != _normal(getattr(voice, name))
        }


def _normal(value: object) -> object:
    if isinstance(value, tuple):
        return tuple(dict.fromkeys(" ".join(str(v).split()).lower() for v in value))
    return value
