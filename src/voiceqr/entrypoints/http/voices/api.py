"""The voice gallery in the JSON API: everyone lists the published voices; administrators
add, change and remove them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Router, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission
from voiceqr.entrypoints.http.kit.auth import (
    api_key_scopes,
    client_address,
    optional_user,
    staff,
)
from voiceqr.entrypoints.http.kit.voices import VoiceOut, voice_out
from voiceqr.entrypoints.http.voices.schemas import VoiceCreate, VoicePatch


class VoiceController(Controller):
    path = "/voices"
    tags = ["voices"]
    opt = api_key_scopes(GET=Scope.READ, POST=Scope.ADMIN, PATCH=Scope.ADMIN, DELETE=Scope.ADMIN)

    @get("/", dependencies={"viewer": Provide(optional_user)})
    async def list_voices(
        self, platform: NamedDependency[Platform], viewer: NamedDependency[User | None]
    ) -> list[VoiceOut]:
        """Published voices (administrators also see unpublished ones)."""
        return [await voice_out(platform, v) for v in await platform.voices.list_for(viewer)]

    @get("/{voice_id:uuid}", dependencies={"viewer": Provide(optional_user)})
    async def get_voice(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        viewer: NamedDependency[User | None],
    ) -> VoiceOut:
        return await voice_out(platform, await platform.voices.get(voice_id, user=viewer))

    @post("/", dependencies={"staff": staff(Permission.MANAGE_VOICES)})
    async def create_voice(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceCreate],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceOut:
        """Add a voice to the gallery (administrators)."""
        spec = VoiceSpec(**msgspec.structs.asdict(data))
        return await voice_out(
            platform,
            await platform.voices.create(staff, spec, ip=client_address(request, platform)),
        )

    @patch("/{voice_id:uuid}", dependencies={"staff": staff(Permission.MANAGE_VOICES)})
    async def update_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: JSONBody[VoicePatch],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceOut:
        """Change some fields of a voice (administrators)."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        return await voice_out(
            platform,
            await platform.voices.update(
                staff, voice_id, changes, ip=client_address(request, platform)
            ),
        )

    @delete("/{voice_id:uuid}", dependencies={"staff": staff(Permission.MANAGE_VOICES)})
    async def delete_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> None:
        """Remove a voice and its samples (administrators)."""
        await platform.voices.delete(staff, voice_id, ip=client_address(request, platform))


api_router = Router(path="/", route_handlers=[VoiceController])
