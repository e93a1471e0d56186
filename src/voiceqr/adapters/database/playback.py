"""Scans and listens on SQLAlchemy Core: the events table and its repository."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Column, Index, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of, upsert
from voiceqr.application.playback.ports import PlaybackEventRepository
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


_SLICE = 250


class SqlPlaybackEvents(Repository):
    async def add_many(self, events: Sequence[PlaybackEvent]) -> None:
        # An event of a generation that is gone by now (its account was deleted) is
        # dropped, rather than refusing the whole batch on the foreign key.
        ids = {event.generation_id for event in events}
        found = await self._db.execute(select(generations.c.id).where(generations.c.id.in_(ids)))
        there = set(found.scalars())
        rows = [row_of(playback_events, e) for e in events if e.generation_id in there]
        if not rows:
            return
        statement = upsert(self._db, playback_events).on_conflict_do_nothing(
            index_elements=[playback_events.c.id]
        )
        # In slices: each is prepared on the event loop, which serves the page meanwhile.
        for start in range(0, len(rows), _SLICE):
            await self._db.execute(statement, rows[start : start + _SLICE])

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


class PlaybackPart(Part):
    """The playback feature's share of the unit of work."""

    playback_events: PlaybackEventRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.playback_events = SqlPlaybackEvents(connection)
        super().attach(connection)
