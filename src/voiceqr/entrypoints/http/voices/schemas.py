"""Request bodies of the voices API (the gallery's staff), with the domain's limits: a
value over one is refused with a 400 before any use case runs."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from voiceqr.domain.voices.voice import (
    DESCRIPTION_MAX,
    LABEL_MAX,
    LABELS_MAX,
    NAME_MAX,
    PRIORITY_MAX,
    PRIORITY_MIN,
    PROVIDER_MAX,
    PROVIDER_VOICE_ID_MAX,
    TRAIT_MAX,
    USE_CASES,
)
from voiceqr.entrypoints.http.kit.schemas import Body, multi_line, one_line

Name = Annotated[str, one_line(NAME_MAX)]
Provider = Annotated[str, one_line(PROVIDER_MAX)]
ProviderVoiceId = Annotated[str, one_line(PROVIDER_VOICE_ID_MAX)]
Description = Annotated[str, multi_line(DESCRIPTION_MAX)]
Trait = Annotated[str, one_line(TRAIT_MAX)]
Label = Annotated[str, one_line(LABEL_MAX)]
# Each tag's length is the domain's to refuse (422): the OpenAPI schema Litestar writes
# drops the limits of a list's items, so a limit here would refuse what the schema allows.
Labels = Annotated[list[str], Meta(max_length=LABELS_MAX)]
UseCase = Literal[USE_CASES]  # type: ignore[valid-type]
UseCases = Annotated[list[UseCase], Meta(max_length=len(USE_CASES))]
Priority = Annotated[int, Meta(ge=PRIORITY_MIN, le=PRIORITY_MAX)]


class VoiceCreate(Body):
    name: Name
    provider_voice_id: ProviderVoiceId
    provider: Provider = "espeak"
    description: Description = ""
    type: Trait = ""
    language: Trait = ""
    region: Trait = ""
    accent: Trait = ""
    age: Trait = ""
    style: Trait = ""
    use_cases: UseCases = []
    tags: Labels = []
    categories: Labels = []
    published: bool = False
    priority: Priority = 0


class VoicePatch(Body):
    name: Name | UnsetType = UNSET
    provider_voice_id: ProviderVoiceId | UnsetType = UNSET
    provider: Provider | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    type: Trait | UnsetType = UNSET
    language: Trait | UnsetType = UNSET
    region: Trait | UnsetType = UNSET
    accent: Trait | UnsetType = UNSET
    age: Trait | UnsetType = UNSET
    style: Trait | UnsetType = UNSET
    use_cases: UseCases | UnsetType = UNSET
    tags: Labels | UnsetType = UNSET
    categories: Labels | UnsetType = UNSET
    published: bool | UnsetType = UNSET
    priority: Priority | UnsetType = UNSET


VoiceIds = Annotated[list[UUID], Meta(min_length=1, max_length=1000)]


class VoiceOrder(Body):
    """Every voice of the gallery, once, the first shown first."""

    ids: VoiceIds


class VoiceBatch(Body):
    """One action on several voices, all or none; `tag` names the tag to add or remove."""

    action: Literal["publish", "unpublish", "delete", "tag", "untag"]
    ids: VoiceIds
    tag: Label = ""
