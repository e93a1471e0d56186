"""Folders and tags in the JSON API: `/api/v1/folders`, `/api/v1/tags`, and filing
one generation with `PUT /api/v1/generations/{id}/folder` and `.../tags`.

Folders and tags are the signed-in user's own: another user's id answers 404, like
an id that never existed. Reading works with an API key of scope `read`, changing
with scope `generate`.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.organising import LabelKind, LabelUsage
from voiceqr.entrypoints.http.generations.schemas import (
    FilingOut,
    FolderMoveBody,
    LabelBody,
    LabelOut,
    TagsBody,
)
from voiceqr.entrypoints.http.generations.views import filing_out, label_out
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.openapi import problems

_SCOPES = api_key_scopes(
    GET=Scope.READ, POST=Scope.GENERATE, PATCH=Scope.GENERATE, DELETE=Scope.GENERATE
)


class _LabelController(Controller):
    """The same four routes for folders and for tags; a subclass names the kind."""

    kind: LabelKind
    opt = _SCOPES
    dependencies = {"user": Provide(current_user)}

    @get("/")
    async def list_labels(
        self, platform: NamedDependency[Platform], user: NamedDependency[User]
    ) -> list[LabelOut]:
        """Yours by name, each with how many generations it holds."""
        return [label_out(u) for u in await platform.generations.folders.labels(user, self.kind)]

    @post("/", status_code=HTTP_201_CREATED, responses=problems(409))
    async def create_label(
        self,
        data: JSONBody[LabelBody],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> LabelOut:
        """Make one; 409 when you have one of that name already (in any case)."""
        label = await platform.generations.folders.create(user, self.kind, data.name)
        return label_out(LabelUsage(label, 0))

    @patch("/{label_id:uuid}", responses=problems(409))
    async def rename_label(
        self,
        label_id: FromPath[UUID],
        data: JSONBody[LabelBody],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> LabelOut:
        """Rename one; its generations follow."""
        label = await platform.generations.folders.rename(user, self.kind, label_id, data.name)
        usage = await platform.generations.folders.labels(user, self.kind)
        return label_out(next(u for u in usage if u.label.id == label.id))

    @delete("/{label_id:uuid}")
    async def delete_label(
        self,
        label_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> None:
        """Delete one. The generations stay: out of the folder, or without the tag."""
        await platform.generations.folders.delete(user, self.kind, label_id)


class FolderController(_LabelController):
    path = "/folders"
    tags = ["folders"]
    kind = LabelKind.FOLDER


class TagController(_LabelController):
    path = "/tags"
    tags = ["tags"]
    kind = LabelKind.TAG


class GenerationFilingController(Controller):
    path = "/generations"
    tags = ["generations"]
    opt = api_key_scopes(PUT=Scope.GENERATE)
    dependencies = {"user": Provide(current_user)}

    @put("/{generation_id:uuid}/folder")
    async def move(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[FolderMoveBody],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> FilingOut:
        """Put a generation in one of your folders, or in none (`folder_id: null`)."""
        return filing_out(
            await platform.generations.folders.move_one(user, generation_id, data.folder_id)
        )

    @put("/{generation_id:uuid}/tags")
    async def set_tags(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[TagsBody],
        platform: NamedDependency[Platform],
        user: NamedDependency[User],
    ) -> FilingOut:
        """Make a generation carry exactly these tags, by name; missing ones are created."""
        return filing_out(
            await platform.generations.folders.set_tags(user, generation_id, data.tags)
        )
