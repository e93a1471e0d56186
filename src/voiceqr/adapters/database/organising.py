"""Folders, tags and text search in SQL (G4, G5).

`SqlFolders` and `SqlTags` keep a user's labels; `GenerationFiling` is the part of
`SqlGenerations` that files generations in them, and `filter_conditions` is the part of
its history query that searches and filters. The text search runs on the index that
migration 0007 made for the engine: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Table,
    TextClause,
    and_,
    delete,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database import tables as t
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.domain.generations.organising import (
    Filing,
    Label,
    LabelKind,
    LabelUsage,
    name_key,
    search_terms,
)
from voiceqr.domain.shared.errors import Conflict

# --- search and filters ----------------------------------------------------------------

Condition = ColumnElement[bool] | TextClause

# The same expression as the index of migration 0007, or PostgreSQL would not use it.
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_SQLITE_MATCH = (
    "(generations.rowid IN "
    "(SELECT rowid FROM generations_fts WHERE generations_fts MATCH :fts)) IS TRUE"
)


def search_condition(dialect: str, query: str) -> Condition | None:
    """Every word of `query` starts a word of the text; None when there is no word.

    The query is cut into plain words first (`search_terms`), and each is sent as a
    quoted prefix term, so nothing a user types is read as search syntax.
    """
    terms = search_terms(query)
    if not terms:
        return None
    if dialect == "sqlite":
        match = " ".join(f'"{term}"*' for term in terms)
        return sql_text(_SQLITE_MATCH).bindparams(fts=match)
    tsquery = " & ".join(f"'{term}':*" for term in terms)
    vector = func.to_tsvector(_SIMPLE, t.generations.c.text)
    matches: ColumnElement[bool] = vector.op("@@")(func.to_tsquery(_SIMPLE, tsquery))
    return matches


def filter_conditions(dialect: str, owner_id: UUID, matching: GenerationFilter) -> list[Condition]:
    """The text, folder and tag parts of a history filter, as conditions on generations.

    A history page is the newest 20 matches, so the fast plan walks the owner's live
    generations newest first (`ix_generations_owner_live`) and tests each against the
    matching ids, built once as a hash (PostgreSQL) or an ephemeral index (SQLite); it
    stops after 20 hits. Left as plain `IN`, both planners prefer looking every match up
    by id and sorting them all, which for a tag on 10,000 generations (or a common word,
    whose FTS5 matches span every user) is several times slower. `(... IN ...) IS TRUE`
    keeps the condition a filter. PostgreSQL's own text condition stays plain: with the
    statistics of its expression index it picks the GIN index for rare words itself.
    bench/search.py prints the plans and timings.
    """
    c = t.generations.c
    conditions: list[Condition] = []
    if matching.text:
        found = search_condition(dialect, matching.text)
        if found is not None:
            conditions.append(found)
    if matching.folder_id is not None:
        gf = t.generation_folders.c
        in_folder = select(gf.generation_id).where(gf.folder_id == matching.folder_id)
        conditions.append(c.id.in_(in_folder).is_(true()))
    if matching.tag is not None:
        gt, tg = t.generation_tags.c, t.tags.c
        tagged = (
            select(gt.generation_id)
            .join(t.tags, tg.id == gt.tag_id)
            .where(tg.owner_id == owner_id, tg.name_key == name_key(matching.tag.strip()))
        )
        conditions.append(c.id.in_(tagged).is_(true()))
    return conditions


# --- filing generations ------------------------------------------------------------------


def _upsert(connection: AsyncConnection, table: Table) -> Any:
    """An INSERT that can say what to do about a row that is there already (both engines
    spell it ON CONFLICT), so concurrent filings never fail on a duplicate key."""
    if connection.dialect.name == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)


def _label(row: RowMapping) -> Label:
    return Label(
        id=row["id"], owner_id=row["owner_id"], name=row["name"], created_at=row["created_at"]
    )


# Ids per statement: a batch action may name thousands, and both engines cap the number
# of bound parameters (SQLite 32766, asyncpg 32767).
_CHUNK = 500


def _chunks(ids: Sequence[UUID]) -> Iterator[list[UUID]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class GenerationFiling:
    """Folder and tag methods of `SqlGenerations`; they touch only the owner's rows."""

    _db: AsyncConnection

    async def _owned(self, owner_id: UUID, generation_ids: list[UUID]) -> list[UUID]:
        c = t.generations.c
        rows = await self._db.execute(
            select(c.id).where(
                c.id.in_(generation_ids), c.owner_id == owner_id, c.deleted_at.is_(None)
            )
        )
        return list(rows.scalars())

    async def set_folder(
        self, owner_id: UUID, generation_ids: Sequence[UUID], folder_id: UUID | None
    ) -> int:
        gf = t.generation_folders
        moved = 0
        for chunk in _chunks(generation_ids):
            owned = await self._owned(owner_id, chunk)
            if not owned:
                continue
            moved += len(owned)
            if folder_id is None:
                await self._db.execute(delete(gf).where(gf.c.generation_id.in_(owned)))
                continue
            statement = _upsert(self._db, gf)
            await self._db.execute(
                statement.on_conflict_do_update(
                    index_elements=[gf.c.generation_id],
                    set_={"folder_id": statement.excluded.folder_id},
                ),
                [{"generation_id": gid, "folder_id": folder_id} for gid in owned],
            )
        return moved

    async def add_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        tags = set(tag_ids)
        for chunk in _chunks(generation_ids) if tags else ():
            owned = await self._owned(owner_id, chunk)
            if owned:
                await self._db.execute(
                    _upsert(self._db, t.generation_tags).on_conflict_do_nothing(),
                    [{"generation_id": gid, "tag_id": tid} for gid in owned for tid in tags],
                )

    async def remove_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        gt = t.generation_tags.c
        for chunk in _chunks(generation_ids) if tag_ids else ():
            owned = await self._owned(owner_id, chunk)
            if owned:
                await self._db.execute(
                    delete(t.generation_tags).where(
                        gt.generation_id.in_(owned), gt.tag_id.in_(list(tag_ids))
                    )
                )

    async def filings(self, owner_id: UUID, generation_ids: Sequence[UUID]) -> dict[UUID, Filing]:
        found: dict[UUID, Filing] = {gid: Filing() for gid in generation_ids}
        gf, gt, folders, tags = (
            t.generation_folders.c,
            t.generation_tags.c,
            t.folders.c,
            t.tags.c,
        )
        for ids in _chunks(generation_ids):
            folder_rows = await self._db.execute(
                select(gf.generation_id, t.folders)
                .join(t.folders, folders.id == gf.folder_id)
                .where(gf.generation_id.in_(ids), folders.owner_id == owner_id)
            )
            for row in folder_rows:
                found[row.generation_id] = Filing(folder=_label(row._mapping))
            tag_rows = await self._db.execute(
                select(gt.generation_id, t.tags)
                .join(t.tags, tags.id == gt.tag_id)
                .where(gt.generation_id.in_(ids), tags.owner_id == owner_id)
                .order_by(tags.name_key)
            )
            for row in tag_rows:
                found[row.generation_id].tags.append(_label(row._mapping))
        return found


# --- folders and tags ----------------------------------------------------------------------


class _SqlLabels:
    """A user's folders or tags; the table and the kind are the only differences."""

    table: Table
    link: Table
    kind: LabelKind

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(self, label: Label) -> None:
        row = {
            "id": label.id,
            "owner_id": label.owner_id,
            "name": label.name,
            "name_key": label.name_key,
            "created_at": label.created_at,
        }
        try:
            async with self._db.begin_nested():
                await self._db.execute(self.table.insert().values(row))
        except IntegrityError:
            raise self._taken(label.name) from None

    async def get_owned(self, label_id: UUID, owner_id: UUID) -> Label | None:
        c = self.table.c
        row = (
            await self._db.execute(
                select(self.table).where(c.id == label_id, c.owner_id == owner_id)
            )
        ).first()
        return None if row is None else _label(row._mapping)

    async def find_named(self, owner_id: UUID, name_keys: Sequence[str]) -> list[Label]:
        if not name_keys:
            return []
        c = self.table.c
        rows = await self._db.execute(
            select(self.table).where(c.owner_id == owner_id, c.name_key.in_(list(name_keys)))
        )
        return [_label(row._mapping) for row in rows]

    async def rename(self, label: Label) -> None:
        c = self.table.c
        try:
            async with self._db.begin_nested():
                await self._db.execute(
                    self.table.update()
                    .where(c.id == label.id, c.owner_id == label.owner_id)
                    .values(name=label.name, name_key=label.name_key)
                )
        except IntegrityError:
            raise self._taken(label.name) from None

    async def delete(self, label_id: UUID, owner_id: UUID) -> bool:
        c = self.table.c
        result = await self._db.execute(
            delete(self.table).where(c.id == label_id, c.owner_id == owner_id)
        )
        return bool(result.rowcount == 1)

    async def list_for_owner(self, owner_id: UUID) -> list[LabelUsage]:
        c, link, g = self.table.c, self.link.c, t.generations.c
        label_column = link.folder_id if self.kind is LabelKind.FOLDER else link.tag_id
        rows = await self._db.execute(
            select(self.table, func.count(g.id).label("generations"))
            .outerjoin(self.link, label_column == c.id)
            .outerjoin(t.generations, and_(g.id == link.generation_id, g.deleted_at.is_(None)))
            .where(c.owner_id == owner_id)
            .group_by(*self.table.c)
            .order_by(c.name_key)
        )
        return [LabelUsage(_label(row._mapping), int(row.generations)) for row in rows]

    def _taken(self, name: str) -> Conflict:
        return Conflict(
            f"You have a {self.kind} named “{name}” already.", code=f"{self.kind}_name_taken"
        )


class SqlFolders(_SqlLabels):
    table = t.folders
    link = t.generation_folders
    kind = LabelKind.FOLDER


class SqlTags(_SqlLabels):
    table = t.tags
    link = t.generation_tags
    kind = LabelKind.TAG
