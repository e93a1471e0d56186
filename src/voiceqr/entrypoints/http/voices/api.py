"""The voice gallery in the JSON API: everyone searches the published voices; staff add,
change, publish, order and remove them."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Router, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from voiceqr.application.voices.gallery import BatchAction, RemovalOutcome, VoiceSpec
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Permission
from voiceqr.domain.shared.text import ONE_LINE_CHARACTERS, refuse_control_characters
from voiceqr.domain.voices.choosing import VoiceQuery, VoiceSort
from voiceqr.domain.voices.voice import TRAIT_MAX, USE_CASES
from voiceqr.entrypoints.http.kit.auth import (
    api_key_scopes,
    client_address,
    optional_user,
    staff,
)
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.voices import VoiceOut, voice_out
from voiceqr.entrypoints.http.voices.schemas import VoiceBatch, VoiceCreate, VoiceOrder, VoicePatch

_ONE_LINE = {"pattern": f"^{ONE_LINE_CHARACTERS}*$"}


# A word to filter by, as long as the field it is compared with can be.
Word = Annotated[str, QueryParameter(max_length=TRAIT_MAX, schema_extra=_ONE_LINE)]


async def voice_query(
    q: Annotated[
        str,
        QueryParameter(
            max_length=200,
            description="Words in the name or the description, any case",
            schema_extra=_ONE_LINE,
        ),
    ] = "",
    gender: Word = "",
    language: Word = "",
    accent: Word = "",
    age: Word = "",
    style: Word = "",
    use_case: Word = "",
    tag: Word = "",
    category: Word = "",
    sort: FromQuery[VoiceSort] = VoiceSort.RECOMMENDED,
    for_: Annotated[
        str,
        QueryParameter(
            name="for",
            max_length=TRAIT_MAX,
            description=f"The content type to recommend voices for: {', '.join(USE_CASES)}",
            schema_extra=_ONE_LINE,
        ),
    ] = "",
    text: Annotated[
        str,
        QueryParameter(
            max_length=2000,
            description="A sample of the text to speak: the content type and language are "
            "guessed from it for the recommendation",
        ),
    ] = "",
) -> VoiceQuery:
    """The gallery's search, filters and order from the query string."""
    for name, value in (
        ("q", q),
        ("gender", gender),
        ("language", language),
        ("accent", accent),
        ("age", age),
        ("style", style),
        ("use_case", use_case),
        ("tag", tag),
        ("category", category),
        ("for", for_),
    ):
        refuse_control_characters(value, what=f"`{name}`")
    return VoiceQuery(
        text=q,
        gender=gender,
        language=language,
        accent=accent,
        age=age,
        style=style,
        use_case=use_case,
        tag=tag,
        category=category,
        sort=sort,
        content_type=for_.strip().lower(),
        sample_text=refuse_control_characters(text, what="`text`", multiline=True),
    )


class FiltersOut(msgspec.Struct):
    """The values each filter of the gallery can take."""

    genders: list[str]
    languages: list[str]
    accents: list[str]
    ages: list[str]
    styles: list[str]
    use_cases: list[str]
    tags: list[str]
    categories: list[str]


class RemovalOut(msgspec.Struct):
    """What deleting a voice did: `deleted`, or `unpublished` when generations use it."""

    id: UUID
    outcome: str
    generations: int


class UsageOut(msgspec.Struct):
    generations: int  # made with the voice: deleting it would unpublish it instead


class BatchOut(msgspec.Struct):
    action: str
    count: int
    removals: list[RemovalOut]  # for `delete`: what happened to each voice


def _removal(outcome: RemovalOutcome) -> RemovalOut:
    return RemovalOut(
        id=outcome.voice_id, outcome=outcome.outcome.value, generations=outcome.generations
    )


class VoiceController(Controller):
    path = "/voices"
    tags = ["voices"]
    opt = api_key_scopes(
        GET=Scope.READ, POST=Scope.ADMIN, PATCH=Scope.ADMIN, PUT=Scope.ADMIN, DELETE=Scope.ADMIN
    )

    @get(
        "/",
        dependencies={"viewer": Provide(optional_user), "wanted": Provide(voice_query)},
    )
    async def list_voices(
        self,
        platform: NamedDependency[Platform],
        viewer: NamedDependency[User | None],
        wanted: NamedDependency[VoiceQuery],
    ) -> list[VoiceOut]:
        """Published voices, searched, filtered and sorted (staff also see unpublished
        ones, with `published: false`). `sort=recommended` puts the voices suiting the
        content type (`for`, or guessed from `text`) first."""
        return [await voice_out(platform, c) for c in await platform.voices.browse(viewer, wanted)]

    @get("/filters")
    async def filters(self, platform: NamedDependency[Platform]) -> FiltersOut:
        """The values the gallery's filters can take (those of the published voices)."""
        options = await platform.voices.filters()
        return FiltersOut(**{k: list(v) for k, v in dataclasses.asdict(options).items()})

    @get("/{voice_id:uuid}", dependencies={"viewer": Provide(optional_user)})
    async def get_voice(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        viewer: NamedDependency[User | None],
    ) -> VoiceOut:
        return await voice_out(platform, await platform.voices.card(voice_id, user=viewer))

    @get("/{voice_id:uuid}/usage", dependencies={"staff": staff(Permission.MANAGE_VOICES)})
    async def usage(
        self,
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> UsageOut:
        """How many generations use the voice (what a delete confirmation says)."""
        return UsageOut(generations=await platform.voices.usage(staff, voice_id))

    @post(
        "/",
        dependencies={"staff": staff(Permission.MANAGE_VOICES)},
        responses=problems(409, 502),
    )
    async def create_voice(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceCreate],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceOut:
        """Add a voice to the gallery (staff). A new voice has no sample, so it starts
        unpublished: `published: true` is refused until it has one."""
        fields = msgspec.structs.asdict(data)
        for name in ("use_cases", "tags", "categories"):
            fields[name] = tuple(fields[name])
        spec = VoiceSpec(**fields)
        return await voice_out(
            platform,
            await platform.voices.create(staff, spec, ip=client_address(request, platform)),
        )

    @patch(
        "/{voice_id:uuid}",
        dependencies={"staff": staff(Permission.MANAGE_VOICES)},
        responses=problems(409, 502),
    )
    async def update_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        data: JSONBody[VoicePatch],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> VoiceOut:
        """Change some fields of a voice (staff). Publishing needs a sample and a voice id
        the provider accepts."""
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await platform.voices.update(staff, voice_id, changes, ip=client_address(request, platform))
        return await voice_out(platform, await platform.voices.card(voice_id, user=staff))

    @delete(
        "/{voice_id:uuid}",
        status_code=HTTP_200_OK,
        dependencies={"staff": staff(Permission.MANAGE_VOICES)},
    )
    async def delete_voice(
        self,
        request: Request[Any, Any, Any],
        voice_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> RemovalOut:
        """Remove a voice and its samples (staff); a voice generations use is unpublished
        instead, and the answer says so with their count."""
        return _removal(
            await platform.voices.delete(staff, voice_id, ip=client_address(request, platform))
        )

    @put(
        "/order",
        status_code=HTTP_204_NO_CONTENT,
        dependencies={"staff": staff(Permission.MANAGE_VOICES)},
    )
    async def reorder(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceOrder],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> None:
        """Set the display order: `ids` names every voice once, the first shown first."""
        await platform.voices.reorder(staff, data.ids, ip=client_address(request, platform))

    @post(
        "/batch",
        status_code=HTTP_200_OK,
        dependencies={"staff": staff(Permission.MANAGE_VOICES)},
        responses=problems(404, 502),
    )
    async def batch(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceBatch],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> BatchOut:
        """Publish, unpublish, delete, tag or untag several voices, all or none."""
        action = BatchAction(data.action)
        removals = await platform.voices.batch(
            staff, action, data.ids, tag=data.tag, ip=client_address(request, platform)
        )
        return BatchOut(
            action=action.value,
            count=len(set(data.ids)),
            removals=[_removal(r) for r in removals],
        )


api_router = Router(path="/", route_handlers=[VoiceController])
