"""API keys in the JSON API: `/api/v1/me/api-keys`.

Managing keys needs the browser session: a request signed in with an API key gets
403 here (these routes declare no `api_key_scopes`). The full key is in the reply to
create and rotate only, with `Cache-Control: no-store`; lists show the prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import Meta

from voiceqr.application.accounts.api_keys import ApiKeys, NewApiKey
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import ApiKey
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.auth import current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, one_line


class ApiKeyCreate(Body):
    # Loose limits here; the use case checks the name (1-100 characters) and the scopes.
    name: Annotated[str, one_line(1000)]
    scopes: Annotated[list[Annotated[str, one_line(50)]], Meta(max_length=10)]


class ApiKeyOut(msgspec.Struct):
    id: UUID
    name: str
    prefix: str  # the start of the key, to tell keys apart; not enough to use it
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    rotation_grace_ends_at: datetime | None  # after a rotation: the old secret works until then


class NewApiKeyOut(ApiKeyOut):
    key: str  # the full key, shown this once: send it as `Authorization: Bearer <key>`


def api_key_out(keys: ApiKeys, key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=sorted(str(s) for s in key.scopes),
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        rotation_grace_ends_at=keys.grace_ends_at(key),
    )


def new_api_key_out(keys: ApiKeys, issued: NewApiKey) -> NewApiKeyOut:
    shown = api_key_out(keys, issued.key)
    return NewApiKeyOut(**msgspec.structs.asdict(shown), key=issued.token)


class ApiKeyController(Controller):
    path = "/me/api-keys"
    tags = ["api keys"]
    dependencies = {"user": Provide(current_user)}

    @post("/", status_code=HTTP_201_CREATED, cache_control=NO_STORE_REPLY)
    async def create(
        self,
        data: JSONBody[ApiKeyCreate],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> NewApiKeyOut:
        """Make a key with a name and scopes (read, generate; admin for administrators).

        The reply holds the full key; it is never shown again.
        """
        issued = await platform.accounts.api_keys.create(user, data.name, data.scopes)
        return new_api_key_out(platform.accounts.api_keys, issued)

    @get("/")
    async def list_keys(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> list[ApiKeyOut]:
        """Your keys, newest first, revoked ones included; never the secret."""
        keys = platform.accounts.api_keys
        return [api_key_out(keys, k) for k in await keys.list(user)]

    @delete("/{key_id:uuid}", status_code=HTTP_204_NO_CONTENT)
    async def revoke(
        self,
        key_id: FromPath[UUID],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> None:
        """Revoke a key: it stops working at once (another user's id is not found)."""
        await platform.accounts.api_keys.revoke(user, key_id)

    @post(
        "/{key_id:uuid}/rotate",
        status_code=HTTP_200_OK,
        cache_control=NO_STORE_REPLY,
        responses=problems(409),
    )
    async def rotate(
        self,
        key_id: FromPath[UUID],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> NewApiKeyOut:
        """A new secret for the key, shown once; the old one works for the grace period."""
        issued = await platform.accounts.api_keys.rotate(user, key_id)
        return new_api_key_out(platform.accounts.api_keys, issued)
