"""Scans and listens on SQLAlchemy Core: the raw events (no IP address among them),
the daily salts of visitor keys, what each listen heard, and their repositories."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    bindparam,
    column,
    delete,
    false,
    func,
    select,
    true,
    values,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.shared import Part, Repository, belongs_to, metadata, upsert
from voiceqr.application.playback.ports import (
    Between,
    ListenRepository,
    PlaybackEventRepository,
    RetiredCodeRepository,
    VisitKey,
    VisitorSaltRepository,
)
from voiceqr.domain.playback.events import PlaybackCounts, PlaybackEventKind, StoredEvent
from voiceqr.domain.playback.listening import Heard, Listen

playback_events = Table(
    "playback_events",
    metadata,
    Column("id", GUID, primary_key=True),
    belongs_to("generation_id", "generations", nullable=False),
    Column("kind", String(10), nullable=False),
    Column("occurred_at", DateTimeUTC, nullable=False),
    Column("user_agent", String(500), nullable=False, server_default=""),
    Column("visitor", String(16), nullable=False, server_default=""),
    Column("source", String(10), nullable=False, server_default="link"),
    Column("placement", String(40), nullable=False, server_default=""),
    Column("referrer_host", String(255), nullable=False, server_default=""),
    Column("language", String(8), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("device", String(10), nullable=False, server_default=""),
    Column("os", String(60), nullable=False, server_default=""),
    Column("browser", String(60), nullable=False, server_default=""),
    Column("bot", Boolean, nullable=False, server_default=false()),
    Column("owner_view", Boolean, nullable=False, server_default=false()),
    Column("new_visit", Boolean, nullable=False, server_default=true()),
    Index("ix_playback_events_visitor", "generation_id", "kind", "visitor", "occurred_at"),
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

# The printed codes of deleted accounts: they answer 410, and say nothing of whose they were.
retired_codes = Table(
    "retired_codes",
    metadata,
    Column("public_code", String(64), primary_key=True),
    Column("retired_at", DateTimeUTC, nullable=False),
)

visitor_salts = Table(
    "visitor_salts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("salt", LargeBinary(64), nullable=False),
)


_COLUMNS = (
    "id",
    "generation_id",
    "kind",
    "occurred_at",
    "user_agent",
    "visitor",
    "source",
    "placement",
    "referrer_host",
    "language",
    "country",
    "device",
    "os",
    "browser",
    "bot",
    "owner_view",
    "new_visit",
)


def _row(stored: StoredEvent) -> tuple[Any, ...]:
    """An event's values, in the order of `_COLUMNS`."""
    event, device = stored.event, stored.device
    return (
        event.id,
        event.generation_id,
        str(event.kind),
        event.occurred_at,
        event.user_agent,
        event.visitor,
        str(event.source),
        event.placement,
        event.referrer_host,
        event.language,
        event.country,
        device.device,
        device.os[:60],
        device.browser[:60],
        device.bot,
        event.owner_view,
        stored.new_visit,
    )


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement as the driver takes it, made once per database engine: its SQL, the
    name of each of its parameters in order, and SQLAlchemy's own conversions of them
    (a UUID as 16 bytes on SQLite, a time as its text...), applied without its work per
    row and per value around them. The embedded server stores its hits on the event
    loop that serves the page: through `execute`, a hit took ~16 us of it to insert
    and ~120 us to look its visitor up (a VALUES list is compiled anew each time);
    this way 7-9 us and a few."""

    sql: str
    names: tuple[str, ...]
    conversions: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, statement: Any, dialect: Dialect, **compile_args: Any) -> _Prepared:
        compiled = statement.compile(dialect=dialect, **compile_args)
        names = tuple(compiled.positiontup or [])
        binds = compiled.binds
        processors = [
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
        return cls(
            compiled.string,
            names,
            tuple((n, convert) for n, convert in enumerate(processors) if convert is not None),
        )

    def row(self, values: list[Any]) -> tuple[Any, ...]:
        """`values` (in the order of `names`) converted for the driver."""
        for n, convert in self.conversions:
            values[n] = convert(values[n])
        return tuple(values)


@functools.lru_cache(maxsize=64)
def _insert(dialect: Dialect, events: int) -> tuple[_Prepared, tuple[int, ...]]:
    """The INSERT of `events` events in one statement, and where each of its parameters
    is in their `_row`s laid end to end."""
    columns = [playback_events.c[name] for name in _COLUMNS]
    statement = (
        upsert(dialect, playback_events)
        .values(
            [
                {c.name: bindparam(f"{c.name}__{n}", type_=c.type) for c in columns}
                for n in range(events)
            ]
        )
        .on_conflict_do_nothing(index_elements=[playback_events.c.id])
    )
    prepared = _Prepared.of(statement, dialect)
    order = []
    for name in prepared.names:
        column, n = name.rsplit("__", 1)
        order.append(int(n) * len(_COLUMNS) + _COLUMNS.index(column))
    return prepared, tuple(order)


# On SQLite, events go 64 to a statement (1,088 parameters): the driver's thread lets go
# of the interpreter's lock for each statement it runs, and took it back from the event
# loop, serving the page meanwhile, once per event when each was a statement of its own.
# (PostgreSQL's driver sends a batch of one-event statements in one round trip.)
_EVENTS_PER_STATEMENT = {"sqlite": 64}
_SLICE = 256  # events handed to the driver at once, prepared on the event loop meanwhile
_KEYS_PER_LOOKUP = 512  # 2,049 parameters a statement


T = TypeVar("T")
_made: set[tuple[Callable[..., Any], Dialect, int]] = set()


async def _statement(make: Callable[[Dialect, int], T], dialect: Dialect, size: int) -> T:
    """`make(dialect, size)`, made in a thread the first time: compiling the INSERT of 64
    events or a lookup of 512 keys takes ~65 ms, and on the event loop of the embedded
    server no page was served meanwhile (the first batches after a start, or the first
    busy second with that many visitors). Then the one `make` remembered, at once."""
    key = (make, dialect, size)
    if key in _made:
        return make(dialect, size)
    made = await asyncio.to_thread(make, dialect, size)
    _made.add(key)
    return made


def _lookup_size(keys: int) -> int:
    """The number of keys a lookup statement is made for: the next power of two, so a
    handful of statements serve every batch."""
    return 1 << max(0, keys - 1).bit_length()


@functools.lru_cache(maxsize=64)
def _last_seen(dialect: Dialect, size: int) -> tuple[_Prepared, Callable[[Any], Any] | None]:
    """The latest time of each of `size` (number, code, kind, visitor) keys, as
    (number, time); and the conversion of the time the driver hands back."""
    asked = (
        values(
            column("n", Integer),
            column("generation_id", GUID),
            column("kind", String),
            column("visitor", String),
            name="asked",
        )
        .data(
            [
                (
                    bindparam(f"n{n}", type_=Integer),
                    bindparam(f"g{n}", type_=GUID),
                    bindparam(f"k{n}", type_=String),
                    bindparam(f"v{n}", type_=String),
                )
                for n in range(size)
            ]
        )
        .cte()
    )
    c = playback_events.c
    latest = (
        select(func.max(c.occurred_at))
        .where(
            c.generation_id == asked.c.generation_id,
            c.kind == asked.c.kind,
            c.visitor == asked.c.visitor,
            c.occurred_at >= bindparam("since", type_=c.occurred_at.type),
        )
        .scalar_subquery()
    )
    time_type = c.occurred_at.type.dialect_impl(dialect)
    return (
        _Prepared.of(select(asked.c.n, latest), dialect),
        time_type.result_processor(dialect, None),
    )


class SqlPlaybackEvents(Repository):
    async def add_many(self, events: Sequence[StoredEvent]) -> None:
        # An event of a generation that is gone by now (its account was deleted) is
        # dropped, rather than refusing the whole batch on the foreign key.
        ids = {stored.event.generation_id for stored in events}
        found = await self._db.execute(select(generations.c.id).where(generations.c.id.in_(ids)))
        there = set(found.scalars())
        kept = [e for e in events if e.event.generation_id in there]
        dialect = self._db.dialect
        per_statement = _EVENTS_PER_STATEMENT.get(dialect.name, 1)
        for start in range(0, len(kept), _SLICE):
            # Made a slice at a time: the loop serves pages between slices, not after
            # the whole batch is laid out.
            chunk = [_row(e) for e in kept[start : start + _SLICE]]
            whole = len(chunk) - len(chunk) % per_statement
            if whole:
                await self._insert_rows(chunk[:whole], per_statement)
            # The rest in statements of 32, 16... events: a few sizes serve every batch.
            rest, size = chunk[whole:], per_statement
            while rest:
                size //= 2
                if len(rest) >= size:
                    await self._insert_rows(rest[:size], size)
                    rest = rest[size:]

    async def _insert_rows(self, rows: list[tuple[Any, ...]], per_statement: int) -> None:
        insert, order = await _statement(_insert, self._db.dialect, per_statement)
        await self._db.exec_driver_sql(
            insert.sql,
            [
                insert.row([flat[n] for n in order])
                for flat in (
                    [value for row in rows[at : at + per_statement] for value in row]
                    for at in range(0, len(rows), per_statement)
                )
            ],
        )

    async def last_seen(
        self, keys: Collection[VisitKey], *, since: datetime
    ) -> dict[VisitKey, datetime]:
        # One lookup per key, each the latest time in ix_playback_events_visitor under
        # (code, kind, visitor): a seek to the end of that key's entries, however many
        # events it has. (A GROUP BY over the window read every one of them: a visitor
        # behind one network address with thousands of scans made every batch slower.)
        found: dict[VisitKey, datetime] = {}
        ordered = list(keys)
        for start in range(0, len(ordered), _KEYS_PER_LOOKUP):
            chunk = ordered[start : start + _KEYS_PER_LOOKUP]
            size = _lookup_size(len(chunk))
            lookup, as_time = await _statement(_last_seen, self._db.dialect, size)
            given: dict[str, Any] = {"since": since}
            for n in range(size):
                # Past the keys, the last one again: the same answer.
                generation_id, kind, visitor = chunk[min(n, len(chunk) - 1)]
                given[f"n{n}"], given[f"g{n}"] = n, generation_id
                given[f"k{n}"], given[f"v{n}"] = kind.value, visitor
            rows = await self._db.exec_driver_sql(
                lookup.sql, lookup.row([given[name] for name in lookup.names])
            )
            for n, at in rows:
                if at is not None and n < len(chunk):
                    found[chunk[n]] = as_time(at) if as_time is not None else at
        return found

    async def counts(self, generation_ids: Sequence[UUID]) -> dict[UUID, PlaybackCounts]:
        if not generation_ids:
            return {}
        c = playback_events.c
        rows = await self._db.execute(
            select(c.generation_id, c.kind, func.count())
            .where(
                c.generation_id.in_(list(generation_ids)),
                c.new_visit.is_(True),
                c.bot.is_(False),
                c.owner_view.is_(False),
            )
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


class SqlVisitorSalts(Repository):
    async def get_or_add(self, day: date, salt: bytes) -> bytes:
        await self._db.execute(
            upsert(self._db, visitor_salts)
            .values(day=day, salt=salt)
            .on_conflict_do_nothing(index_elements=[visitor_salts.c.day])
        )
        stored = await self._db.execute(
            select(visitor_salts.c.salt).where(visitor_salts.c.day == day)
        )
        return bytes(stored.scalar_one())

    async def delete_before(self, day: date) -> int:
        result = await self._db.execute(delete(visitor_salts).where(visitor_salts.c.day < day))
        return int(result.rowcount)


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

    async def tally(
        self, generation_id: UUID, revision: int, *, between: Between | None = None
    ) -> dict[Heard, int]:
        c = listens.c
        statement = select(c.heard, func.count()).where(
            c.generation_id == generation_id, c.revision == revision
        )
        if between is not None:
            statement = statement.where(c.started_at >= between[0], c.started_at < between[1])
        rows = await self._db.execute(statement.group_by(c.heard))
        return {Heard(heard): int(count) for heard, count in rows}

    async def tallies_of_owner(
        self, owner_id: UUID, *, between: Between
    ) -> dict[UUID, dict[Heard, int]]:
        c, g = listens.c, generations.c
        rows = await self._db.execute(
            select(c.generation_id, c.heard, func.count())
            .join_from(listens, generations, g.id == c.generation_id)
            .where(
                g.owner_id == owner_id,
                c.revision == func.coalesce(g.live_revision, 1),
                c.started_at >= between[0],
                c.started_at < between[1],
            )
            .group_by(c.generation_id, c.heard)
        )
        found: dict[UUID, dict[Heard, int]] = {}
        for generation_id, heard, count in rows:
            found.setdefault(generation_id, {})[Heard(heard)] = int(count)
        return found


class SqlRetiredCodes(Repository):
    async def is_retired(self, public_code: str) -> bool:
        query = select(retired_codes.c.public_code).where(
            retired_codes.c.public_code == public_code
        )
        return await self._first(query) is not None


class PlaybackPart(Part):
    """The playback feature's share of the unit of work."""

    retired_codes: RetiredCodeRepository

    playback_events: PlaybackEventRepository
    visitor_salts: VisitorSaltRepository
    listens: ListenRepository

    def attach(self, connection: AsyncConnection) -> None:
        self.playback_events = SqlPlaybackEvents(connection)
        self.visitor_salts = SqlVisitorSalts(connection)
        self.listens = SqlListens(connection)
        self.retired_codes = SqlRetiredCodes(connection)
        super().attach(connection)
