"""History search and filters (G5) on 100,000 generations of one user, SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--rows 100000] [--others 20000] [--repeat 15]
                                     [--engines sqlite,postgresql] [--no-plans]

For each engine it makes a fresh database (a temporary SQLite file; a PostgreSQL
database created on 127.0.0.1 and dropped afterwards, as the tests do), migrates it,
and bulk-inserts `--rows` generations of one user plus `--others` of other users,
with folders and tags. Then it times each query shape through the real repository
(`SqlGenerations.list_owned`, one page of 20) against a naive baseline in the same run:

- search only, search + filters: the text index against `lower(text) LIKE '%word%'`;
- filters only (folder + tag + status): the keyset query against fetching the user's
  rows and filtering them in Python;
- deep page: a keyset cursor 90% of the way down against `OFFSET`.

It prints the median milliseconds of each, the ratio baseline/indexed, and the
EXPLAIN (QUERY PLAN) of each indexed query, which names the indexes used.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fresh_databases import fresh_database
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from voiceqr.adapters.database import accounts, organising
from voiceqr.adapters.database import generations as generation_tables
from voiceqr.adapters.database.generations import SqlGenerations
from voiceqr.application.generations.ports import GenerationFilter
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.generations.generation import GenerationStatus, new_public_code
from voiceqr.domain.generations.organising import name_key
from voiceqr.domain.shared.ids import uuid7

PAGE = 20
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
START = datetime(2025, 1, 1, tzinfo=UTC)


async def explain(connection: AsyncConnection, statement: Any) -> list[str]:
    """The engine's plan of `statement`, its parameters bound as the repository binds them."""
    compiled = statement.compile(dialect=connection.dialect)
    processors = compiled._bind_processors
    params = tuple(
        processors[key](compiled.params[key]) if key in processors else compiled.params[key]
        for key in compiled.positiontup
    )
    sqlite = connection.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN" if sqlite else "EXPLAIN"
    rows = await connection.exec_driver_sql(f"{prefix} {compiled}", params)
    return [str(row[-1]) if sqlite else str(row[0]) for row in rows]


# --- the data ------------------------------------------------------------------------


@dataclass
class Dataset:
    owner_id: UUID
    folder_id: UUID  # a folder holding about a fifth of the owner's generations
    tag: str  # a tag on about a tenth of them
    rare: str  # a word in about 0.05% of the texts
    common: str  # a word in about a third


def _vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "su", "ra", "to", "vi", "de", "po", "an", "el"]
    words = {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(4000)}
    return sorted(words)


async def fill(engine: AsyncEngine, rows: int, others: int) -> Dataset:
    """Users, folders, tags and generations, inserted with executemany in batches."""
    rng = random.Random(7)
    words = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]  # Zipf-like word frequencies
    rare, common = "zyxwordrare", "museum"
    owner_id = uuid7()
    users = [owner_id, *(uuid7() for _ in range(5))]
    folders = {u: [uuid7() for _ in range(10)] for u in users}
    tags = {u: [(uuid7(), f"tag{i}") for i in range(30)] for u in users}
    async with engine.begin() as connection:
        await connection.execute(
            insert(accounts.users),
            [
                {
                    "id": u,
                    "email": f"{u.hex}@example.com",
                    "name": "Bench",
                    "role": "user",
                    "created_at": START,
                }
                for u in users
            ],
        )
        await connection.execute(
            insert(organising.folders),
            [
                {
                    "id": f,
                    "owner_id": u,
                    "name": f"Folder {i}",
                    "name_key": name_key(f"Folder {i}"),
                    "created_at": START,
                }
                for u in users
                for i, f in enumerate(folders[u])
            ],
        )
        await connection.execute(
            insert(organising.tags),
            [
                {"id": tid, "owner_id": u, "name": n, "name_key": n, "created_at": START}
                for u in users
                for tid, n in tags[u]
            ],
        )
    statuses = [GenerationStatus.COMPLETED] * 18 + [GenerationStatus.FAILED] * 2
    plan = [(owner_id, rows), *((u, others // 5) for u in users[1:])]
    batch = 5000
    for user, count in plan:
        moment = START
        for first in range(0, count, batch):
            generations, filed, tagged = [], [], []
            for _ in range(min(batch, count - first)):
                moment += timedelta(seconds=rng.randint(1, 90))
                text = rng.choices(words, weights, k=rng.randint(6, 40))
                if rng.random() < 0.33:
                    text.insert(rng.randrange(len(text)), common)
                if rng.random() < 0.0005:
                    text.insert(rng.randrange(len(text)), rare)
                gid = uuid7(int(moment.timestamp() * 1000))
                generations.append(
                    {
                        "id": gid,
                        "owner_id": user,
                        "voice_id": users[0],
                        "text": " ".join(text).capitalize() + ".",
                        "public_code": new_public_code(),
                        "status": str(rng.choice(statuses)),
                        "created_at": moment,
                    }
                )
                # Folder 0 holds about a fifth; the other nine share another half.
                pick = rng.random()
                if pick < 0.2:
                    filed.append({"generation_id": gid, "folder_id": folders[user][0]})
                elif pick < 0.7:
                    filed.append({"generation_id": gid, "folder_id": rng.choice(folders[user][1:])})
                if rng.random() < 0.1:
                    tagged.append({"generation_id": gid, "tag_id": tags[user][0][0]})
                for tid, _name in rng.sample(tags[user][1:], rng.randint(0, 2)):
                    tagged.append({"generation_id": gid, "tag_id": tid})
            async with engine.begin() as connection:
                await connection.execute(insert(generation_tables.generations), generations)
                if filed:
                    await connection.execute(insert(organising.generation_folders), filed)
                if tagged:
                    await connection.execute(insert(organising.generation_tags), tagged)
    async with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            await connection.exec_driver_sql("ANALYZE")
        else:
            await connection.exec_driver_sql("ANALYZE")
    return Dataset(owner_id, folders[owner_id][0], tags[owner_id][0][1], rare, common)


# --- the query shapes -----------------------------------------------------------------


@dataclass
class Shape:
    name: str
    matching: GenerationFilter
    after: HistoryPosition | None = None
    offset: int = 0  # for the baseline of a deep page


async def deep_position(connection: AsyncConnection, data: Dataset, depth: int) -> HistoryPosition:
    c = generation_tables.generations.c
    row = (
        await connection.execute(
            select(c.created_at, c.id)
            .where(c.owner_id == data.owner_id, c.deleted_at.is_(None))
            .order_by(c.created_at.desc(), c.id.desc())
            .offset(depth)
            .limit(1)
        )
    ).one()
    return HistoryPosition(row.created_at, row.id)


def shapes(data: Dataset, deep: HistoryPosition, depth: int) -> list[Shape]:
    filters = {"folder_id": data.folder_id, "tag": data.tag, "status": GenerationStatus.COMPLETED}
    return [
        Shape("search, rare word", GenerationFilter(text=data.rare)),
        Shape("search, common word", GenerationFilter(text=data.common)),
        Shape("search, 2 prefixes", GenerationFilter(text=f"{data.common[:3]} ka")),
        Shape("search + folder + tag + status", GenerationFilter(text=data.common, **filters)),  # type: ignore[arg-type]
        Shape("folder + tag + status", GenerationFilter(**filters)),  # type: ignore[arg-type]
        Shape(f"deep page ({depth:,} down)", GenerationFilter(), after=deep, offset=depth + 1),
    ]


def baseline_query(data: Dataset, shape: Shape) -> Any:
    """The naive way: LIKE for the text (no index can serve it), OFFSET for depth."""
    c = generation_tables.generations.c
    query = select(generation_tables.generations).where(
        c.owner_id == data.owner_id, c.deleted_at.is_(None)
    )
    f = shape.matching
    if f.text:
        for word in f.text.split():
            query = query.where(func.lower(c.text).like(f"%{word.lower()}%"))
    if f.status is not None:
        query = query.where(c.status == str(f.status))
    if f.folder_id is not None:
        gf = organising.generation_folders.c
        query = query.where(c.id.in_(select(gf.generation_id).where(gf.folder_id == f.folder_id)))
    if f.tag is not None:
        gt, tg = organising.generation_tags.c, organising.tags.c
        query = query.where(
            c.id.in_(
                select(gt.generation_id)
                .join(organising.tags, tg.id == gt.tag_id)
                .where(tg.owner_id == data.owner_id, tg.name_key == f.tag)
            )
        )
    return query.order_by(c.created_at.desc(), c.id.desc()).offset(shape.offset).limit(PAGE)


async def in_python(connection: AsyncConnection, data: Dataset, shape: Shape) -> list[UUID]:
    """Filters only, done naively: every row of the user fetched and filtered here."""
    c, gf, gt = (
        generation_tables.generations.c,
        organising.generation_folders.c,
        organising.generation_tags.c,
    )
    f = shape.matching
    in_folder = set(
        (await connection.execute(select(gf.generation_id).where(gf.folder_id == f.folder_id)))
        .scalars()
        .all()
    )
    tag_id = (
        await connection.execute(
            select(organising.tags.c.id).where(
                organising.tags.c.owner_id == data.owner_id, organising.tags.c.name_key == f.tag
            )
        )
    ).scalar_one()
    tagged = set(
        (await connection.execute(select(gt.generation_id).where(gt.tag_id == tag_id))).scalars()
    )
    rows = await connection.execute(
        select(c.id, c.created_at, c.status).where(
            c.owner_id == data.owner_id, c.deleted_at.is_(None)
        )
    )
    kept = [r for r in rows if r.id in in_folder and r.id in tagged and r.status == str(f.status)]
    kept.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    return [r.id for r in kept[:PAGE]]


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    result = await run()  # warm the caches first
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = await run()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), result


@dataclass
class Measured:
    indexed_ms: float
    baseline_ms: float
    found: int
    plan: list[str]


async def measure(engine: AsyncEngine, data: Dataset, repeat: int) -> dict[str, Measured]:
    results: dict[str, Measured] = {}
    async with engine.connect() as connection:
        repository = SqlGenerations(connection)
        depth = int(
            0.9
            * (
                await connection.execute(
                    select(func.count()).where(
                        generation_tables.generations.c.owner_id == data.owner_id
                    )
                )
            ).scalar_one()
        )
        deep = await deep_position(connection, data, depth)
        for shape in shapes(data, deep, depth):

            async def indexed(shape: Shape = shape) -> list[Any]:
                return await repository.list_owned(
                    data.owner_id, limit=PAGE, matching=shape.matching, after=shape.after
                )

            async def baseline(shape: Shape = shape) -> list[Any]:
                if shape.matching.folder_id is not None and not shape.matching.text:
                    return await in_python(connection, data, shape)
                return list((await connection.execute(baseline_query(data, shape))).all())

            indexed_ms, found = await timed(indexed, repeat)
            baseline_ms, expected = await timed(baseline, max(3, repeat // 5))
            if not shape.matching.text:  # LIKE and word prefixes may differ; the rest must not
                assert [g.id for g in found] == [getattr(r, "id", r) for r in expected], shape.name
            query = repository.history_query(
                data.owner_id, limit=PAGE, matching=shape.matching, after=shape.after
            )
            plan = await explain(connection, query)
            results[shape.name] = Measured(indexed_ms, baseline_ms, len(found), plan)
        await connection.rollback()
    return results


# --- the engines ----------------------------------------------------------------------


async def run_on(kind: str, rows: int, others: int, repeat: int) -> dict[str, Measured]:
    async with fresh_database(kind) as engine:
        began = time.perf_counter()
        data = await fill(engine, rows, others)
        print(f"{kind}: filled in {time.perf_counter() - began:.1f} s")
        return await measure(engine, data, repeat)


def report(results: dict[str, dict[str, Measured]], *, plans: bool) -> None:
    engines = list(results)
    names = list(next(iter(results.values())))
    header = f"{'query (one page of 20)':34}" + "".join(
        f" | {e + ' ms':>14} {'naive ms':>9} {'x':>6} {'rows':>4}" for e in engines
    )
    print()
    print(header)
    print("-" * len(header))
    for name in names:
        line = f"{name:34}"
        for engine in engines:
            m = results[engine][name]
            line += (
                f" | {m.indexed_ms:14.2f} {m.baseline_ms:9.1f} "
                f"{m.baseline_ms / max(m.indexed_ms, 1e-6):6.1f} {m.found:4}"
            )
        print(line)
    print("\n(x = naive / indexed; naive is LIKE '%word%', filtering in Python, or OFFSET)")
    if plans:
        for engine in engines:
            for name in names:
                print(f"\n--- {engine}: {name}")
                for step in results[engine][name].plan:
                    print(f"    {step}")


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--no-plans", action="store_true")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Measured]] = {}
    for engine in args.engines.split(","):
        results[engine] = await run_on(engine, args.rows, args.others, args.repeat)
    report(results, plans=not args.no_plans)


if __name__ == "__main__":
    asyncio.run(main())
