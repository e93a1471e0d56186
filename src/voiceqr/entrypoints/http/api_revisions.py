"""Edit and regenerate in the JSON API (G3): the edit body and the list of a
generation's revisions.

The edit itself, `PATCH /generations/{id}`, is in `api.GenerationController` next to
GET and DELETE of that path: Litestar refuses a path served by two controllers (each
adds its own OPTIONS handler). The admins' edit is in `api_admin_generations`.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from msgspec import UNSET, UnsetType

from voiceqr.application.generations.revisions import Edit, RevisionView
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.schemas import Body, Text


class GenerationEdit(Body):
    """The new text and/or voice; a field left out keeps its current value."""

    text: Text | UnsetType = UNSET
    voice_id: UUID | UnsetType = UNSET

    def edit(self) -> Edit:
        return Edit(
            text=None if isinstance(self.text, UnsetType) else self.text,
            voice_id=None if isinstance(self.voice_id, UnsetType) else self.voice_id,
        )


class RevisionOut(msgspec.Struct):
    number: int
    text: str
    voice_id: UUID
    voice_name: str  # "" when the voice was removed since
    status: str  # pending, processing, completed, failed
    live: bool  # this revision's audio is what the public code plays
    created_at: datetime
    completed_at: datetime | None
    audio_url: str | None


def revision_out(view: RevisionView) -> RevisionOut:
    return RevisionOut(
        number=view.number,
        text=view.text,
        voice_id=view.voice_id,
        voice_name=view.voice_name,
        status=str(view.status),
        live=view.live,
        created_at=view.created_at,
        completed_at=view.completed_at,
        audio_url=view.audio_url,
    )


class GenerationRevisionController(Controller):
    path = "/generations"
    tags = ["generations"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = {"user": Provide(current_user)}

    @get("/{generation_id:uuid}/revisions")
    async def list_revisions(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> list[RevisionOut]:
        """Every revision of one of your generations, newest first, each with its audio."""
        views = await platform.generation_revisions.list_for_owner(user, generation_id)
        return [revision_out(v) for v in views]


REVISION_CONTROLLERS = [GenerationRevisionController]
