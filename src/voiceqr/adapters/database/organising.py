"""Folders, tags and text search in SQL: their tables, and the repositories.

`SqlFolders` and `SqlTags` keep a user's labels; `GenerationFiling` is the part of
`SqlGenerations` that files generations in them, and `filter_conditions` is the part of
its history query that searches and filters. The text search runs on the index that
migration 0007 made for the engine: FTS5 on SQLite, a GIN tsvector index on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import (
    Column,
    ColumnElement,
    Index,
    RowMapping,
    String,
    Table,
    TextClause,
    UniqueConstraint,
    and_,
    delete,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.shared import Repository, belongs_to, metadata, row_of, upsert
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

# --- tables ---------------------------------------------------------------------------
# Names are unique per owner by `name_key` (case-folded, see domain.generations.organising);
# the key may be longer than the name ("ß" folds to "ss"). A generation's folder and tags
# live in link tables, so moving or tagging never touches (or version-bumps) the
# generation row a worker may be saving. The text search index is not in this metadata:
# migration 0007 creates it per engine (SQLite: the FTS5 table `generations_fts` and its
# triggers; PostgreSQL: the GIN expression index `ix_generations_text_search`). A later
# SQLite batch migration that re-creates `generations` drops those triggers with it and
# must create them again (see 0007's `SQLITE_SEARCH`).


def _label_table(name: str, length: int) -> Table:
    """Folders and tags have the same shape; the unique key also serves per-owner lists."""
    return Table(
        name,
        metadata,
        Column("id", GUID, primary_key=True),
        belongs_to("owner_id", "users", nullable=False),
        Column("name", String(length), nullable=False),
        Column("name_key", String(4 * length), nullable=False),
        Column("created_at", DateTimeUTC, nullable=False),
        UniqueConstraint("owner_id", "name_key", name=f"uq_{name}_owner_name_key"),
    )


folders = _label_table("folders", 100)
tags = _label_table("tags", 50)

generation_folders = Table(
    "generation_folders",
    metadata,
    # One folder per generation: the generation is the key.
    belongs_to("generation_id", "generations", primary_key=True),
    # Deleting a folder leaves its generations in no folder.
    belongs_to("folder_id", "folders", nullable=False),
    # The folder filter and the per-folder counts.
    Index("ix_generation_folders_folder", "folder_id", "generation_id"),
)

generation_tags = Table(
    "generation_tags",
    metadata,
    belongs_to("generation_id", "generations", primary_key=True),
    belongs_to("tag_id", "tags", primary_key=True),
    # The tag filter and the per-tag counts.
    Index("ix_generation_tags_tag", "tag_id", "generation_id"),
)


def _generations() -> Table:
    """The generations table, imported when first used: `generations` builds
    `SqlGenerations` on this module (filing, history filters), so a top-level import
    would go round in a circle."""
    from voiceqr.adapters.database.generations import generations

    return generations


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
    vector = func.to_tsvector(_SIMPLE, _generations().c.text)
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
    c = _generations().c
    conditions: list[Condition] = []
    if matching.text:
        found = search_condition(dialect, matching.text)
        if found is not None:
            conditions.append(found)
    if matching.folder_id is not None:
        gf = generation_folders.c
        in_folder = select(gf.generation_id).where(gf.folder_id == matching.folder_id)
        conditions.append(c.id.in_(in_folder).is_(true()))
    if matching.tag is not None:
        gt, tg = generation_tags.c, tags.c
        tagged = (
            select(gt.generation_id)
            .join(tags, tg.id == gt.tag_id)
            .where(tg.owner_id == owner_id, tg.name_key == name_key(matching.tag.strip()))
        )
        conditions.append(c.id.in_(tagged).is_(true()))
    return conditions


# --- filing generations ------------------------------------------------------------------


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
        c = _generations().c
        rows = await self._db.execute(
            select(c.id).where(
                c.id.in_(generation_ids), c.owner_id == owner_id, c.deleted_at.is_(None)
            )
        )
        return list(rows.scalars())

    async def set_folder(
        self, owner_id: UUID, generation_ids: Sequence[UUID], folder_id: UUID | None
    ) -> int:
        gf = generation_folders
        moved = 0
        for chunk in _chunks(generation_ids):
            owned = await self._owned(owner_id, chunk)
            if not owned:
                continue
            moved += len(owned)
            if folder_id is None:
                await self._db.execute(delete(gf).where(gf.c.generation_id.in_(owned)))
                continue
            statement = upsert(self._db, gf)
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
        unique_tags = set(tag_ids)
        for chunk in _chunks(generation_ids) if unique_tags else ():
            owned = await self._owned(owner_id, chunk)
            if owned:
                await self._db.execute(
                    upsert(self._db, generation_tags).on_conflict_do_nothing(),
                    [{"generation_id": gid, "tag_id": tid} for gid in owned for tid in unique_tags],
                )

    async def remove_tags(
        self, owner_id: UUID, generation_ids: Sequence[UUID], tag_ids: Sequence[UUID]
    ) -> None:
        gt = generation_tags.c
        for chunk in _chunks(generation_ids) if tag_ids else ():
            owned = await self._owned(owner_id, chunk)
            if owned:
                await self._db.execute(
                    delete(generation_tags).where(
                        gt.generation_id.in_(owned), gt.tag_id.in_(list(tag_ids))
                    )
                )

    async def filings(self, owner_id: UUID, generation_ids: Sequence[UUID]) -> dict[UUID, Filing]:
        found: dict[UUID, Filing] = {gid: Filing() for gid in generation_ids}
        gf, gt, fc, tc = generation_folders.c, generation_tags.c, folders.c, tags.c
        for ids in _chunks(generation_ids):
            folder_rows = await self._db.execute(
                select(gf.generation_id, folders)
                .join(folders, fc.id == gf.folder_id)
                .where(gf.generation_id.in_(ids), fc.owner_id == owner_id)
            )
            for row in folder_rows:
                found[row.generation_id] = Filing(folder=_label(row._mapping))
            tag_rows = await self._db.execute(
                select(gt.generation_id, tags)
                .join(tags, tc.id == gt.tag_id)
                .where(gt.generation_id.in_(ids), tc.owner_id == owner_id)
                .order_by(tc.name_key)
            )
            for row in tag_rows:
                found[row.generation_id].tags.append(_label(row._mapping))
        return found


# --- folders and tags ----------------------------------------------------------------------


class _SqlLabels(Repository):
    """A user's folders or tags; the table and the kind are the only differences."""

    table: Table
    link: Table
    kind: LabelKind

    async def add(self, label: Label) -> None:
        await self._unique(
            self.table.insert().values(row_of(self.table, label)), self._taken(label.name)
        )

    async def get_owned(self, label_id: UUID, owner_id: UUID) -> Label | None:
        c = self.table.c
        row = await self._first(select(self.table).where(c.id == label_id, c.owner_id == owner_id))
        return None if row is None else _label(row)

    async def find_named(self, owner_id: UUID, name_keys: Sequence[str]) -> list[Label]:
        if not name_keys:
            return []
        c = self.table.c
        rows = await self._rows(
            select(self.table).where(c.owner_id == owner_id, c.name_key.in_(list(name_keys)))
        )
        return [_label(row) for row in rows]

    async def rename(self, label: Label) -> None:
        c = self.table.c
        statement = (
            self.table.update()
            .where(c.id == label.id, c.owner_id == label.owner_id)
            .values(name=label.name, name_key=label.name_key)
        )
        await self._unique(statement, self._taken(label.name))

    async def delete(self, label_id: UUID, owner_id: UUID) -> bool:
        c = self.table.c
        result = await self._db.execute(
            delete(self.table).where(c.id == label_id, c.owner_id == owner_id)
        )
        return bool(result.rowcount == 1)

    async def list_for_owner(self, owner_id: UUID) -> list[LabelUsage]:
        live = _generations()
        c, link, g = self.table.c, self.link.c, live.c
        label_column = link.folder_id if self.kind is LabelKind.FOLDER else link.tag_id
        rows = await self._db.execute(
            select(self.table, func.count(g.id).label("generations"))
            .outerjoin(self.link, label_column == c.id)
            .outerjoin(live, and_(g.id == link.generation_id, g.deleted_at.is_(None)))
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
    table = folders
    link = generation_folders
    kind = LabelKind.FOLDER


class SqlTags(_SqlLabels):
    table = tags
    link = generation_tags
    kind = LabelKind.TAG
