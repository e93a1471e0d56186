"""Scans and listens on SQLAlchemy Core: the events table, the listens table (what
each listen heard) and their repositories."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import Column, Index, Integer, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, row_of, upsert
from voiceqr.application.playback.ports import ListenRepository, PlaybackEventRepository
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEvent, PlaybackEventKind
from voiceqr.domain.playback.listening import Heard, Listen

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

# One row per listen: the buckets of the audio it heard (a 20-bit mask), for the audio
# revision it played, so a regenerated code starts a new curve.
listens = Table(
    "listens",
    metadata,
    Column("id", GUID, primary_key=True),  # made up by the page, once per listen
    belongs_to("generation_id", "generations", nullable=False),
    Column("revision", Integer, nullable=False),
    Column("heard", Integer, nullable=False),
    Column("started_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    Index("ix_listens_generation_revision", "generation_id", "revision"),
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


class SqlListens(Repository):
    async def record(self, listen: Listen) -> None:
        c = listens.c
        statement = upsert(self._db, listens).values(
            id=listen.id,
            generation_id=listen.generation_id,
            revision=listen.revision,
            heard=listen.heard.mask,
            started_at=listen.at,
            updated_at=listen.at,
        )
        # One statement, so two reports of a listen racing each other both count.
        await self._db.execute(
            statement.on_conflict_do_update(
                index_elements=[c.id],
                set_={
                    "heard": c.heard.op("|")(statement.excluded.heard),
                    "updated_at": statement.excluded.updated_at,
                },
                where=(c.generation_id == statement.excluded.generation_id)
                & (c.revision == statement.excluded.revision),
            )
        )

    async def tally(self, generation_id: UUID, revision: int) -> dict[Heard, int]:
        c = listens.c
        rows = await self._db.execute(
            select(c.heard, func.count())
            .where(c.generation_id == generation_id, c.revision == revision)
            .group_by(c.heard)
        )
        return {Heard(heard): int(count) for heard, count in rows}


class PlaybackPart(Part):
    """The playback feature's share of the unit of work."""

    playback_events: PlaybackEventRepository
    listens: ListenRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.playback_events = SqlPlaybackEvents(connection)
        self.listens = SqlListens(connection)
        super().attach(connection)
