"""The voices a new installation's gallery starts with, for each speech provider set.

They are data, kept in `default_voices.toml` beside this module (one `[[voice]]` table
per voice, with the fields of `VoiceSpec`); every seeded voice is published, since the
seeding makes its sample.
"""

from __future__ import annotations

import tomllib
from importlib.resources import files
from typing import Any, Final

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.settings import Settings

_LISTS = ("use_cases", "tags", "categories")


def _spec(table: dict[str, Any]) -> VoiceSpec:
    lists: dict[str, Any] = {name: tuple(table.pop(name, ())) for name in _LISTS}
    return VoiceSpec(**table, **lists, published=True)


def _load() -> dict[str, tuple[VoiceSpec, ...]]:
    text = files(__package__).joinpath("default_voices.toml").read_text(encoding="utf-8")
    by_provider: dict[str, list[VoiceSpec]] = {}
    for table in tomllib.loads(text)["voice"]:
        spec = _spec(table)
        by_provider.setdefault(spec.provider, []).append(spec)
    return {provider: tuple(specs) for provider, specs in by_provider.items()}


DEFAULT_GALLERY: Final = _load()
ESPEAK_DEFAULT_VOICES: Final = DEFAULT_GALLERY["espeak"]
ELEVENLABS_DEFAULT_VOICES: Final = DEFAULT_GALLERY["elevenlabs"]


def default_voices(settings: Settings) -> tuple[VoiceSpec, ...]:
    """The default voices of the speech providers this installation runs."""
    return tuple(
        spec for provider in settings.speech_providers for spec in DEFAULT_GALLERY.get(provider, ())
    )
