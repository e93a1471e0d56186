"""The voice catalogue on SQLAlchemy Core: its table, row mapping and repository."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    Column,
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

from voiceqr.adapters.database.shared import Part, Repository, metadata, row_of
from voiceqr.application.voices.ports import VoiceRepository
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample

voices = Table(
    "voices",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("type", String(50), nullable=False, server_default=""),
    Column("language", String(50), nullable=False, server_default=""),
    Column("region", String(50), nullable=False, server_default=""),
    Column("age", String(50), nullable=False, server_default=""),
    Column("style", String(50), nullable=False, server_default=""),
    Column("provider", String(30), nullable=False),
    Column("provider_voice_id", String(200), nullable=False),
    Column("samples", JsonB, nullable=False),
    Column("published", Boolean, nullable=False, server_default=text("false")),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
)


def _voice_row(voice: Voice) -> dict[str, Any]:
    row = row_of(voices, voice)
    row["samples"] = [
        {"id": str(s.id), "key": s.key, "label": s.label, "duration_ms": s.duration_ms}
        for s in voice.samples
    ]
    return row


def _voice(row: RowMapping) -> Voice:
    values = dict(row)
    values["samples"] = [_sample(s) for s in values["samples"]]
    return Voice(**values)


def _sample(stored: dict[str, Any]) -> VoiceSample:
    """A sample from the JSON column; samples stored before they had ids get a new one
    (kept once the voice is next saved)."""
    return VoiceSample(
        id=UUID(stored["id"]) if stored.get("id") else uuid7(),
        key=stored["key"],
        label=stored.get("label", "Sample"),
        duration_ms=int(stored.get("duration_ms", 0)),
    )


class SqlVoices(Repository):
    async def add(self, voice: Voice) -> None:
        await self._db.execute(insert(voices).values(_voice_row(voice)))

    async def get(self, voice_id: UUID) -> Voice | None:
        row = await self._first(select(voices).where(voices.c.id == voice_id))
        return None if row is None else _voice(row)

    async def update(self, voice: Voice) -> None:
        values = _voice_row(voice)
        del values["id"], values["created_at"]
        await self._db.execute(update(voices).where(voices.c.id == voice.id).values(values))

    async def delete(self, voice_id: UUID) -> None:
        await self._db.execute(delete(voices).where(voices.c.id == voice_id))

    async def list(self, *, published_only: bool) -> list[Voice]:
        query = select(voices).order_by(voices.c.priority.desc(), voices.c.name)
        if published_only:
            query = query.where(voices.c.published.is_(True))
        return [_voice(row) for row in await self._rows(query)]

    async def count(self) -> int:
        return int((await self._db.execute(select(func.count()).select_from(voices))).scalar_one())


class VoicesPart(Part):
    """The voices feature's share of the unit of work."""

    voices: VoiceRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.voices = SqlVoices(connection)
        super().attach(connection)
