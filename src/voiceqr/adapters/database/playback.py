"""Scans and listens on SQLAlchemy Core: the events table and its repository."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Column, Index, String, Table, func, insert, select

from voiceqr.adapters.database.shared import Repository, belongs_to, metadata
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind

playback_events = Table(
    "playback_events",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("kind", String(10), nullable=False),
    Column("occurred_at", DateTimeUTC, nullable=False),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Index("ix_playback_events_generation_kind", "generation_id", "kind"),
)


class SqlPlaybackEvents(Repository):
    async def add(self, event: PlaybackEvent) -> None:
        await self._db.execute(
            insert(playback_events).values(
                id=event.id,
                generation_id=event.generation_id,
                kind=str(event.kind),
                occurred_at=event.occurred_at,
                user_agent=event.user_agent,
            )
        )

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        if not generation_ids:
            return {}
        c = playback_events.c
        rows = await self._db.execute(
            select(c.generation_id, c.kind, func.count())
            .where(c.generation_id.in_(list(generation_ids)))
            .group_by(c.generation_id, c.kind)
        )
        tally: dict[UUID, dict[str, int]] = {}
        for generation_id, kind, count in rows:
            tally.setdefault(generation_id, {})[kind] = int(count)
        return {
            gid: PlaybackCounts(
                scans=tally.get(gid, {}).get(PlaybackEventKind.SCAN, 0),
                listens=tally.get(gid, {}).get(PlaybackEventKind.LISTEN, 0),
            )
            for gid in generation_ids
        }
