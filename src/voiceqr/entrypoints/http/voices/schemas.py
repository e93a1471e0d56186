"""Request bodies of the voices API (the gallery's administrators)."""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from voiceqr.entrypoints.http.kit.schemas import (
    Body,
    Description,
    Short,
)


class VoiceCreate(Body):
    name: Short
    provider_voice_id: Short
    provider: Short = "espeak"
    description: Description = ""
    type: Short = ""
    language: Short = ""
    region: Short = ""
    age: Short = ""
    style: Short = ""
    published: bool = False
    priority: int = 0


class VoicePatch(Body):
    name: Short | UnsetType = UNSET
    provider_voice_id: Short | UnsetType = UNSET
    provider: Short | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    type: Short | UnsetType = UNSET
    language: Short | UnsetType = UNSET
    region: Short | UnsetType = UNSET
    age: Short | UnsetType = UNSET
    style: Short | UnsetType = UNSET
    published: bool | UnsetType = UNSET
    priority: int | UnsetType = UNSET
