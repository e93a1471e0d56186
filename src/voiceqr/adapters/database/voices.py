"""The voice catalogue on SQLAlchemy Core: its table, row mapping and repository."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    RowMapping,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.shared import Part, Repository, metadata
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.playback.events import PlaybackEventKind
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.voices.choosing import Popularity
from voiceqr.domain.voices.voice import (
    NAME_MAX,
    PROVIDER_MAX,
    PROVIDER_VOICE_ID_MAX,
    TRAIT_MAX,
    Editor,
    Voice,
    VoiceSample,
)

_EDITOR_NAME_MAX = 200


def _trait(name: str) -> Column[str]:
    return Column(name, String(TRAIT_MAX), nullable=False, server_default="")


def _labels(name: str) -> Column[Any]:
    return Column(name, JsonB, nullable=False, server_default="[]")


voices = Table(
    "voices",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(NAME_MAX), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _trait("type"),
    _trait("language"),
    _trait("region"),
    _trait("accent"),
    _trait("age"),
    _trait("style"),
    _labels("use_cases"),
    _labels("tags"),
    _labels("categories"),
    Column("provider", String(PROVIDER_MAX), nullable=False),
    Column("provider_voice_id", String(PROVIDER_VOICE_ID_MAX), nullable=False),
    Column("samples", JsonB, nullable=False),
    Column("published", Boolean, nullable=False, server_default=text("false")),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    # Who made and last changed the voice: no foreign key, so the name stays when the
    # account goes.
    Column("created_by", GUID),
    Column("created_by_name", String(_EDITOR_NAME_MAX), nullable=False, server_default=""),
    Column("updated_by", GUID),
    Column("updated_by_name", String(_EDITOR_NAME_MAX), nullable=False, server_default=""),
)

# Two voices of one provider never share a name, in any case: `generate --voice Sam` and
# the create page must name one voice.
Index(
    "uq_voices_provider_name",
    voices.c.provider,
    func.lower(voices.c.name),
    unique=True,
)

_PLAIN = (
    "id",
    "name",
    "description",
    "type",
    "language",
    "region",
    "accent",
    "age",
    "style",
    "provider",
    "provider_voice_id",
    "published",
    "priority",
    "created_at",
    "updated_at",
)


def _voice_row(voice: Voice) -> dict[str, Any]:
    row = {name: getattr(voice, name) for name in _PLAIN}
    row["use_cases"] = list(voice.use_cases)
    row["tags"] = list(voice.tags)
    row["categories"] = list(voice.categories)
    row["samples"] = [
        {"id": str(s.id), "key": s.key, "label": s.label, "duration_ms": s.duration_ms}
        for s in voice.samples
    ]
    for mark in ("created_by", "updated_by"):
        editor: Editor | None = getattr(voice, mark)
        row[mark] = None if editor is None else editor.id
        row[f"{mark}_name"] = "" if editor is None else editor.name[:_EDITOR_NAME_MAX]
    return row


def _voice(row: RowMapping) -> Voice:
    values = {name: row[name] for name in _PLAIN}
    return Voice(
        **values,
        created_by=_editor(row, "created_by"),
        updated_by=_editor(row, "updated_by"),
        use_cases=tuple(row["use_cases"]),
        tags=tuple(row["tags"]),
        categories=tuple(row["categories"]),
        samples=[
            VoiceSample(
                id=UUID(s["id"]),
                key=s["key"],
                label=s.get("label", "Sample"),
                duration_ms=int(s.get("duration_ms", 0)),
            )
            for s in row["samples"]
        ],
    )


def _editor(row: RowMapping, mark: str) -> Editor | None:
    editor_id, name = row[mark], row[f"{mark}_name"]
    return None if editor_id is None and not name else Editor(id=editor_id, name=name)


def _name_taken(voice: Voice) -> Conflict:
    return Conflict(
        f"{voice.provider} already has a voice called {voice.name!r} (names are unique "
        "per provider, in any case).",
        code="voice_name_taken",
    )


class SqlVoices(Repository):
    async def add(self, voice: Voice) -> None:
        await self._unique(insert(voices).values(_voice_row(voice)), _name_taken(voice))

    async def get(self, voice_id: UUID) -> Voice | None:
        row = await self._first(select(voices).where(voices.c.id == voice_id))
        return None if row is None else _voice(row)

    async def update(self, voice: Voice) -> None:
        values = _voice_row(voice)
        for kept in ("id", "created_at", "created_by", "created_by_name"):
            del values[kept]
        await self._unique(
            update(voices).where(voices.c.id == voice.id).values(values), _name_taken(voice)
        )

    async def delete(self, voice_id: UUID) -> None:
        await self._db.execute(delete(voices).where(voices.c.id == voice_id))

    async def list(self, *, published_only: bool) -> list[Voice]:
        query = select(voices).order_by(voices.c.priority.desc(), voices.c.name)
        if published_only:
            query = query.where(voices.c.published.is_(True))
        return [_voice(row) for row in await self._rows(query)]

    async def count(self) -> int:
        return int((await self._db.execute(select(func.count()).select_from(voices))).scalar_one())

    async def popularity(self, voice_ids: Sequence[UUID]) -> dict[UUID, Popularity]:
        found = dict.fromkeys(voice_ids, Popularity())
        if not voice_ids:
            return found
        g, e = generations.c, playback_events.c
        live = (g.voice_id.in_(list(voice_ids)), g.deleted_at.is_(None))
        uses = (
            select(g.voice_id, func.count().label("uses"))
            .where(*live)
            .group_by(g.voice_id)
            .subquery()
        )
        listens = (
            select(g.voice_id, func.count().label("listens"))
            .select_from(playback_events.join(generations, e.generation_id == g.id))
            .where(
                *live,
                e.kind == PlaybackEventKind.LISTEN.value,
                e.new_visit.is_(True),
                e.bot.is_(False),
                e.owner_view.is_(False),
            )
            .group_by(g.voice_id)
            .subquery()
        )
        # Listens come from generations, so every voice with listens has uses.
        rows = await self._db.execute(
            select(uses.c.voice_id, uses.c.uses, func.coalesce(listens.c.listens, 0)).select_from(
                uses.outerjoin(listens, listens.c.voice_id == uses.c.voice_id)
            )
        )
        for voice_id, used, listened in rows:
            found[voice_id] = Popularity(uses=int(used), listens=int(listened))
        return found


class VoicesPart(Part):
    """The voices feature's share of the unit of work."""

    voices: VoiceRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.voices = SqlVoices(connection)
        super().attach(connection)
