"""Folders, tags (G4) and text search with filters (G5) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database import generations, organising
from voiceqr.adapters.database.organising import filter_conditions
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.generations.organising import FoldersAndTags
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.generations.organising import Filing, LabelKind
from voiceqr.domain.shared.errors import Conflict, NotFound

FOLDER, TAG = LabelKind.FOLDER, LabelKind.TAG


@pytest.fixture
def folders(uows: SqlUnitOfWorkFactory) -> FoldersAndTags:
    return FoldersAndTags(uow=uows, clock=lambda: datetime.now(UTC))


async def stored(uows: SqlUnitOfWorkFactory, owner: User, *texts: str) -> list[Generation]:
    """Generations with these texts, a minute apart, oldest first."""
    rows = [
        make_generation(owner.id, text=body, created_at=NOW + timedelta(minutes=i))
        for i, body in enumerate(texts)
    ]
    await add_generations(uows, *rows)
    return rows


async def texts(
    uows: SqlUnitOfWorkFactory, owner: User, *, limit: int = 50, **matching: Any
) -> list[str]:
    async with uows() as uow:
        found = await uow.generations.list_owned(
            owner.id, limit=limit, matching=GenerationFilter(**matching)
        )
    return [g.text for g in found]


async def test_search_matches_every_word_as_a_prefix_in_any_case(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    await stored(uows, ann, "Welcome to the Museum", "Museum shop opening hours", "Zoo map")
    await stored(uows, bob, "Museum of bob")

    assert await texts(uows, ann, text="museum") == [
        "Museum shop opening hours",
        "Welcome to the Museum",
    ]
    assert await texts(uows, ann, text="MUS hour") == ["Museum shop opening hours"]
    assert await texts(uows, ann, text="useum") == []  # prefixes, not infixes
    assert await texts(uows, ann, text="zoo museum") == []


@pytest.mark.parametrize(
    "query",
    ['"', "'", "a AND", "NEAR(x y)", "x*", "-(", ":*", "\\", "col:val", "^x", "\u2018\u2019"],
)
async def test_search_syntax_typed_by_a_user_is_never_an_error(
    uows: SqlUnitOfWorkFactory, query: str
) -> None:
    owner = await add_user(uows)
    await stored(uows, owner, "x marks the spot", "col val and a near miss")
    await texts(uows, owner, text=query)  # no exception from either engine


async def test_a_changed_text_is_found_by_its_new_words_only(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    [row] = await stored(uows, owner, "first draft")
    async with uows() as uow:
        row.text = "second thoughts"
        await uow.generations.update(row)
        await uow.commit()
    assert await texts(uows, owner, text="second") == ["second thoughts"]
    assert await texts(uows, owner, text="first") == []


async def test_search_finds_a_generation_by_its_title_and_its_new_title_only(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    titled = make_generation(owner.id, text="Welcome to room four", title="Starry Night")
    await add_generations(uows, titled)
    await stored(uows, owner, "Nothing about stars")

    assert await texts(uows, owner, text="starry") == ["Welcome to room four"]
    assert await texts(uows, owner, text="night room") == ["Welcome to room four"]  # both
    async with uows() as uow:
        await uow.generations.retitle(titled.id, "Sunflowers")
        await uow.commit()
    assert await texts(uows, owner, text="sunfl") == ["Welcome to room four"]
    assert await texts(uows, owner, text="starry") == []
    async with uows() as uow:  # back to no title: the text alone is searched
        await uow.generations.retitle(titled.id, None)
        await uow.commit()
    assert await texts(uows, owner, text="sunfl") == []
    assert await texts(uows, owner, text="welcome") == ["Welcome to room four"]


async def test_deleted_generations_are_not_found(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    [row] = await stored(uows, owner, "gone soon")
    async with uows() as uow:
        row.delete(NOW + timedelta(days=1))
        await uow.generations.update(row)
        await uow.commit()
    assert await texts(uows, owner, text="gone") == []


async def test_search_folder_tag_status_and_dates_combine_across_pages(
    uows: SqlUnitOfWorkFactory, folders: FoldersAndTags
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    rows = await stored(uows, ann, *(f"tour stop {i}" for i in range(12)), "tour map", "shop")
    await stored(uows, bob, "tour of bob")
    async with uows() as uow:
        for row in rows[:6]:
            row.status = GenerationStatus.FAILED
            await uow.generations.update(row)
        await uow.commit()
    tours = await folders.create(ann, FOLDER, "Tours")
    await folders.move(ann, [r.id for r in rows[::2]], tours.id)  # even ones
    await folders.tag(ann, [r.id for r in rows[::3]], ["Kids"])  # every third

    # In the folder and tagged: every sixth row (0, 6, 12); 12 is "tour map".
    matching = GenerationFilter(
        text="tour",
        folder_id=tours.id,
        tag="kids",
        created_from=NOW,
        created_to=NOW + timedelta(hours=1),
    )
    assert await pages_of_one(uows, ann, matching) == [rows[12].id, rows[6].id, rows[0].id]
    narrower = replace(matching, text="tour st", status=GenerationStatus.FAILED)
    assert await pages_of_one(uows, ann, narrower) == [rows[0].id]
    assert await texts(uows, ann, folder_id=tours.id, tag="KIDS", text="map") == ["tour map"]
    assert await texts(uows, bob, folder_id=tours.id) == []
    assert await texts(uows, bob, tag="kids") == []


async def pages_of_one(
    uows: SqlUnitOfWorkFactory, owner: User, matching: GenerationFilter
) -> list[UUID]:
    """Every match, fetched one keyset page of one item at a time."""
    seen: list[UUID] = []
    after = None
    while True:
        async with uows() as uow:
            found = await uow.generations.list_owned(
                owner.id, limit=1, matching=matching, after=after
            )
        if not found:
            return seen
        seen += [g.id for g in found]
        after = HistoryPosition(found[-1].created_at, found[-1].id)


async def test_another_users_folder_and_tag_are_not_found_nor_changed(
    uows: SqlUnitOfWorkFactory, folders: FoldersAndTags
) -> None:
    ann, bob = await add_user(uows), await add_user(uows)
    [anns] = await stored(uows, ann, "ann's")
    [bobs] = await stored(uows, bob, "bob's")
    folder = await folders.create(ann, FOLDER, "Private")
    tag = await folders.create(ann, TAG, "secret")
    await folders.move(ann, [anns.id], folder.id)

    for attempt in (
        folders.rename(bob, FOLDER, folder.id, "Mine now"),
        folders.rename(bob, TAG, tag.id, "mine"),
        folders.delete(bob, FOLDER, folder.id),
        folders.delete(bob, TAG, tag.id),
        folders.move_one(bob, bobs.id, folder.id),
        folders.move_one(bob, anns.id, None),
        folders.set_tags(bob, anns.id, ["x"]),
    ):
        with pytest.raises(NotFound):
            await attempt
    # Ann's batch naming Bob's generation leaves it alone.
    assert await folders.move(ann, [anns.id, bobs.id], folder.id) == 1
    await folders.tag(ann, [bobs.id], ["secret"])

    assert (await folders.filings(ann, [anns.id]))[anns.id].folder == folder
    assert (await folders.filings(bob, [bobs.id]))[bobs.id].tags == []
    assert [(u.label.name, u.generations) for u in await folders.labels(ann, TAG)] == [
        ("secret", 0)
    ]


async def test_renames_and_deletes(uows: SqlUnitOfWorkFactory, folders: FoldersAndTags) -> None:
    owner = await add_user(uows)
    rows = await stored(uows, owner, "one", "two")
    museum = await folders.create(owner, FOLDER, "museum")
    await folders.create(owner, FOLDER, "Zoo")
    await folders.move(owner, [r.id for r in rows], museum.id)
    await folders.set_tags(owner, rows[0].id, ["Kids", "audio"])
    await folders.set_tags(owner, rows[1].id, ["kids"])

    assert (await folders.rename(owner, FOLDER, museum.id, "Museum")).name == "Museum"
    with pytest.raises(Conflict) as caught:
        await folders.rename(owner, FOLDER, museum.id, "ZOO")
    assert caught.value.code == "folder_name_taken"
    with pytest.raises(Conflict):
        await folders.create(owner, TAG, "KIDS")
    assert [(u.label.name, u.generations) for u in await folders.labels(owner, FOLDER)] == [
        ("Museum", 2),
        ("Zoo", 0),
    ]

    kids = next(u.label for u in await folders.labels(owner, TAG) if u.label.name == "Kids")
    await folders.delete(owner, TAG, kids.id)
    await folders.delete(owner, FOLDER, museum.id)

    filed = await folders.filings(owner, [r.id for r in rows])
    assert [t.name for t in filed[rows[0].id].tags] == ["audio"]
    assert filed[rows[1].id].tags == []
    assert filed[rows[0].id].folder is None
    assert await texts(uows, owner) == ["two", "one"]  # the generations stay


async def test_the_search_uses_the_text_index(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    await stored(uows, owner, *(f"item {i} of the catalogue" for i in range(50)), "rare word")
    c = generations.generations.c
    async with uows.engine.connect() as connection:
        dialect = connection.dialect.name
        # The owner condition is left out: a GUID cannot be written as a literal.
        query = (
            select(c.id)
            .where(*filter_conditions(dialect, owner.id, GenerationFilter(text="rar")))
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(20)
        )
        compiled = query.compile(connection.sync_connection, compile_kwargs={"literal_binds": True})
        if dialect == "sqlite":
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            plan = " | ".join(str(r[-1]) for r in rows)
            assert "generations_fts VIRTUAL TABLE INDEX" in plan, plan
        else:
            # On 51 rows a sequential scan is cheaper; forbid it to see the index can serve.
            await connection.execute(text("SET LOCAL enable_seqscan = off"))
            rows = await connection.exec_driver_sql(f"EXPLAIN {compiled}")
            plan = " | ".join(str(r[0]) for r in rows)
            assert "ix_generations_text_search" in plan, plan


async def test_filing_many_generations_goes_in_chunks_and_skips_others(
    uows: SqlUnitOfWorkFactory, folders: FoldersAndTags, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch actions name thousands of ids; they are sent a few hundred at a time (here
    two, to cross the chunk edges), with another user's ids and repeats mixed in."""
    monkeypatch.setattr(organising, "_CHUNK", 2)
    ann, bob = await add_user(uows), await add_user(uows)
    mine = await stored(uows, ann, *(f"item {i}" for i in range(5)))
    [theirs] = await stored(uows, bob, "bob's")
    ids = [mine[0].id, theirs.id, *(g.id for g in mine), mine[4].id]
    shelf = await folders.create(ann, FOLDER, "Shelf")

    assert await folders.move(ann, ids, shelf.id) == 5
    await folders.tag(ann, ids, ["a", "b"])
    await folders.untag(ann, ids[:4], ["b"])  # mine[0], theirs, mine[0] again, mine[1]

    filed = await folders.filings(ann, [g.id for g in mine])
    assert [f.folder for f in filed.values()] == [shelf] * 5
    assert [[t.name for t in filed[g.id].tags] for g in mine] == [
        ["a"],
        ["a"],
        ["a", "b"],
        ["a", "b"],
        ["a", "b"],
    ]
    assert (await folders.filings(bob, [theirs.id]))[theirs.id] == Filing()
    assert await folders.move(ann, ids, None) == 5
    assert await texts(uows, ann, folder_id=shelf.id) == []
