"""Owners' dashboards (U1, U4, U6-U8) on a year of scans and listens of one user with
1,000 codes, SQLite and PostgreSQL.

    .venv/bin/python bench/analytics.py [--sqlite-events 100000] [--postgresql-events 300000]
                                        [--codes 1000] [--repeat 20] [--naive-repeat 5]
                                        [--engines sqlite,postgresql] [--keep NAME]
                                        [--keep-rollups]

The target (issue "Scan and listen analytics") is measured with the full numbers:
`--sqlite-events 1000000 --postgresql-events 10000000`; the defaults are smaller so that
a run takes about a minute.

For each engine it makes a fresh database (a temporary SQLite file; a PostgreSQL
database created on 127.0.0.1 and dropped afterwards, as the tests do), migrates it,
and inserts the events in the database itself (INSERT ... SELECT over a generated
series: a recursive CTE on SQLite, generate_series on PostgreSQL), spread over the last
365 days up to now, today included, over the codes (a few popular, a long tail), with
countries, devices, browsers, sources, placements, repeat hits, bots and the owner's
own views. Then it runs the roll-up job as the scheduler would (`RollUps.run`) and
times each dashboard query through the real use cases (`Dashboards`: the roll-ups of
the days before today, today's complete hours rolled up and the raw events of the hour
under way), p50 and p95 over `--repeat` runs, for the
default 30 days and for a whole year, beside a naive GROUP BY of the same question over
the raw events (`SqlAnalytics.raw` and `by_code(rolled_up=False)`) in the same run,
timed over `--naive-repeat` runs (a quarter of `--repeat`, at least 3, unless given: on 10 million
events each of them takes tens of seconds).

With `--keep NAME` the filled database is kept for the next run instead of dropped: a
PostgreSQL database `voiceqr_bench_keep_NAME` on 127.0.0.1, a SQLite file
`voiceqr-bench-NAME.db` in the temporary directory (filling 10 million events takes
many minutes). A run that finds it (with the same number of events and codes) migrates
it to the newest revision, empties the roll-ups and rolls them up again (so a changed
roll-up is measured; with `--keep-rollups` it only rolls up what is not yet, as the
job would: on 10 million events a whole year takes tens of minutes), and measures at
the moment it was filled (the events' "now"), so its today holds the same raw events.
Drop them when done: `DROP DATABASE voiceqr_bench_keep_NAME` and the file.

The dashboards are timed with the garbage collector set as `voiceqr serve` sets it once
started (`settle_collector`: the long-lived objects frozen out of its passes).

Before timing, the statistics are brought up to date as PostgreSQL's autovacuum would
(VACUUM ANALYZE: an index-only scan needs the table's visibility map), and ANALYZE on
SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from fresh_databases import fresh_database, kept_database
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.adapters.database import accounts
from voiceqr.adapters.database import generations as generation_tables
from voiceqr.adapters.database.analytics import SqlAnalytics
from voiceqr.adapters.database.shared import metadata
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.analytics.dashboards import Dashboards
from voiceqr.application.analytics.ports import TallyQuery
from voiceqr.application.analytics.rollups import RollUps
from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.analytics.periods import Bucket, DateRange, Period, period
from voiceqr.domain.analytics.tallies import Dimension
from voiceqr.domain.generations.generation import new_public_code
from voiceqr.domain.shared.ids import uuid7
from voiceqr.entrypoints.cli.running import settle_collector
from voiceqr.settings import load

NOW = datetime.now(UTC).replace(microsecond=0)
YEAR = 365 * 24 * 3600

# The values events are spread over; `i` is the event's number in the series.
COUNTRIES = ["FR", "DE", "US", "GB", "ES", "IT", "NL", "BE", "CH", "JP", "BR", ""]
DEVICES = ["mobile", "mobile", "mobile", "desktop", "tablet", ""]
BROWSERS = ["Mobile Safari 17", "Chrome Mobile 120", "Chrome 120", "Firefox 121", "Edge 120"]
OSES = ["iOS 17", "Android 14", "Windows 10", "Mac OS X 14", "Linux"]
PLACEMENTS = ["", "", "lobby", "flyer-A", "poster"]
REFERRERS = ["", "", "", "t.co", "news.example", "l.facebook.com"]
LANGUAGES = ["fr", "de", "en", "es", "it", ""]


def _pick(values: list[str], step: int, sqlite: bool) -> str:
    """SQL choosing one of `values` by the event's number (a fixed pseudo-random walk)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    if sqlite:
        cases = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
        return f"CASE ((i * {step}) % {len(values)}) {cases} END"
    return f"(ARRAY[{quoted}]::text[])[1 + ((i * {step}) % {len(values)})]"


def _columns(sqlite: bool) -> str:
    return ", ".join(
        [
            _pick(COUNTRIES, 7919, sqlite),
            _pick(DEVICES, 104729, sqlite),
            _pick(OSES, 15485863, sqlite),
            _pick(BROWSERS, 32452843, sqlite),
            _pick(PLACEMENTS, 49979687, sqlite),
            _pick(REFERRERS, 67867967, sqlite),
            _pick(LANGUAGES, 86028121, sqlite),
        ]
    )


_NAMES = (
    "country, device, os, browser, placement, referrer_host, language, "
    "id, generation_id, kind, occurred_at, visitor, source, bot, owner_view, new_visit"
)
# Every 3rd event a listen, a 5th of the hits repeat a visit, 1 in 50 a bot, 1 in 200
# the owner; codes by popularity (rank = codes * r^3 for r spread over 0..1).


def _sqlite_insert(first: int, last: int, events: int, codes: int, start: datetime) -> str:
    """Events `first` to `last` of `events` (SQLite has no generate_series: a recursive
    CTE counts). Every value is a number or a time made here."""
    share = "(((i * 2654435761) % 1000003) / 1000003.0)"
    return f"""
INSERT INTO playback_events ({_NAMES})
WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s WHERE i < {last})
SELECT {_columns(True)},
  randomblob(16),
  (SELECT id FROM bench_codes WHERE n = CAST({codes} * {share} * {share} * {share} AS INTEGER)),
  CASE WHEN i % 3 = 0 THEN 'listen' ELSE 'scan' END,
  strftime('%Y-%m-%d %H:%M:%S', '{start:%Y-%m-%d %H:%M:%S}',
           '+' || CAST(i * {YEAR} / {events} AS INTEGER) || ' seconds') || '.000000',
  substr(hex(randomblob(8)), 1, 16),
  CASE WHEN i % 4 = 0 THEN 'link' ELSE 'qr' END,
  i % 50 = 0, i % 200 = 1, i % 5 != 2
FROM s
"""


_POSTGRESQL = f"""
INSERT INTO playback_events ({_NAMES})
SELECT {_columns(False)},
  gen_random_uuid(),
  ($1::uuid[])[1 + floor($2 * power(((i * 2654435761) % 1000003) / 1000003.0, 3))::int],
  CASE WHEN i % 3 = 0 THEN 'listen' ELSE 'scan' END,
  $3::timestamptz + make_interval(secs => floor(i::float8 * $4 / $5)),
  substr(md5(i::text), 1, 16),
  CASE WHEN i % 4 = 0 THEN 'link' ELSE 'qr' END,
  i % 50 = 0, i % 200 = 1, i % 5 != 2
FROM generate_series($6::bigint, $7::bigint) AS i
"""


@dataclass
class Dataset:
    owner: User
    codes: list[UUID]


async def fill(engine: AsyncEngine, events: int, codes: int) -> Dataset:
    owner = User(
        id=uuid7(),
        email="bench@example.com",
        name="Bench",
        password_hash="x",
        role=Role.USER,
        created_at=NOW - timedelta(days=400),
    )
    ids = [uuid7() for _ in range(codes)]
    start = NOW - timedelta(seconds=YEAR)
    async with engine.begin() as connection:
        await connection.execute(
            insert(accounts.users),
            [{"id": owner.id, "email": owner.email, "name": "Bench", "role": "user",
              "created_at": owner.created_at}],
        )  # fmt: skip
        await connection.execute(
            insert(generation_tables.generations),
            [
                {
                    "id": gid,
                    "owner_id": owner.id,
                    "voice_id": owner.id,
                    "text": f"Exhibit {n}: a spoken label",
                    "public_code": new_public_code(),
                    "status": "completed",
                    "created_at": start,
                    "characters_billed": 27,
                    "audio_bytes": 40_000,
                }
                for n, gid in enumerate(ids)
            ],
        )
    sqlite = engine.dialect.name == "sqlite"
    batch = 250_000 if sqlite else 1_000_000
    for first in range(0, events, batch):
        count = min(batch, events - first)
        async with engine.begin() as connection:
            if sqlite:
                await connection.exec_driver_sql(
                    "CREATE TEMP TABLE IF NOT EXISTS bench_codes (n INTEGER PRIMARY KEY, id BLOB)"
                )
                await connection.exec_driver_sql(
                    "INSERT OR IGNORE INTO bench_codes VALUES (?, ?)",
                    [(n, gid.bytes) for n, gid in enumerate(ids)],
                )
                await connection.exec_driver_sql(
                    _sqlite_insert(first, first + count - 1, events, codes, start)
                )
            else:
                await connection.exec_driver_sql(
                    _POSTGRESQL,
                    (ids, codes - 1, start, float(YEAR), events, first, first + count - 1),
                )
    async with engine.begin() as connection:
        await connection.exec_driver_sql("ANALYZE")
    return Dataset(owner, ids)


# --- timing ---------------------------------------------------------------------------


async def timed(run: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds, after one warm-up run."""
    await run()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - began) * 1000)
    if len(samples) == 1:  # one run (`--naive-repeat 1`): it is both
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), cuts[18]


@dataclass
class Measured:
    p50: float
    p95: float
    naive_p50: float
    naive_p95: float


def questions(
    dashboards: Dashboards, data: Dataset, shown: Period
) -> dict[str, Callable[[], Awaitable[Any]]]:
    owner = data.owner
    popular = data.codes[0]
    return {
        "summary": lambda: dashboards.summary(owner, shown),
        "timeseries (days, with previous)": lambda: dashboards.timeseries(owner, shown, Bucket.DAY),
        "breakdown: country": lambda: dashboards.breakdown(owner, shown, Dimension.COUNTRY),
        "breakdown: browser": lambda: dashboards.breakdown(owner, shown, Dimension.BROWSER),
        "heatmap (Europe/Paris)": lambda: dashboards.heatmap(
            owner, Period(shown.days, period(None, None, "Europe/Paris", now=NOW).zone)
        ),
        "top codes by scans": lambda: dashboards.top_codes(owner, shown, by="scans"),
        "one code (every panel)": lambda: dashboards.dashboard(owner, shown, Bucket.DAY, popular),
    }


def naive(
    uows: SqlUnitOfWorkFactory, data: Dataset, shown: Period
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The same questions as one GROUP BY over the raw events each."""
    owner = data.owner.id
    days = shown.days
    with_previous = DateRange(days.first - timedelta(days=days.days + 1), days.last)

    def raw(dimension: Dimension, over: DateRange, code: UUID | None = None) -> Callable[[], Any]:
        async def run() -> Any:
            async with uows() as uow:
                return await uow.analytics.raw(
                    TallyQuery(owner, dimension, over, code, per_day=dimension is Dimension.HOUR)
                )

        return run

    async def by_code() -> Any:
        async with uows() as uow:
            assert isinstance(uow.analytics, SqlAnalytics)
            return await uow.analytics.by_code(owner, days, rolled_up=False)

    async def one_code() -> Any:
        for dimension in Dimension:
            await raw(dimension, with_previous, data.codes[0])()

    return {
        "summary": raw(Dimension.TOTAL, days),
        "timeseries (days, with previous)": raw(Dimension.HOUR, with_previous),
        "breakdown: country": raw(Dimension.COUNTRY, days),
        "breakdown: browser": raw(Dimension.BROWSER, days),
        "heatmap (Europe/Paris)": raw(Dimension.HOUR, days),
        "top codes by scans": by_code,
        "one code (every panel)": one_code,
    }


async def measure(
    engine: AsyncEngine, data: Dataset, repeat: int, naive_repeat: int | None = None
) -> dict[str, Measured]:
    uows = SqlUnitOfWorkFactory(engine)
    with tempfile.TemporaryDirectory() as data_dir:
        # The dashboards as the app builds them (their listen-through reads go through
        # the playback feature), on the bench's database.
        platform = build(load({"VOICEQR_DATA_DIR": data_dir}), Adapters(uow=uows))
        # As `voiceqr serve` does once it is built. Otherwise a full collection, walking
        # every object of the fill and of the modules loaded, now and then lands in a
        # timed query (10-30 ms: the p95's outliers here, not the server's).
        gc.collect()
        threshold = gc.get_threshold()
        settle_collector()
        try:
            return await _measure(platform.analytics.dashboards, uows, data, repeat, naive_repeat)
        finally:
            gc.unfreeze()
            gc.set_threshold(*threshold)


async def _measure(
    dashboards: Dashboards,
    uows: SqlUnitOfWorkFactory,
    data: Dataset,
    repeat: int,
    naive_repeat: int | None,
) -> dict[str, Measured]:
    results: dict[str, Measured] = {}
    for label, first in (("30 days", None), ("365 days", (NOW - timedelta(days=364)).date())):
        shown = period(first.isoformat() if first else None, NOW.date().isoformat(), None, now=NOW)
        ours, theirs = questions(dashboards, data, shown), naive(uows, data, shown)
        for name, run in ours.items():
            p50, p95 = await timed(run, repeat)
            naive_p50, naive_p95 = await timed(theirs[name], naive_repeat or max(3, repeat // 4))
            results[f"{name}, {label}"] = Measured(p50, p95, naive_p50, naive_p95)
    return results


async def refresh_statistics(engine: AsyncEngine) -> None:
    """As autovacuum would on PostgreSQL (VACUUM runs outside a transaction)."""
    if engine.dialect.name == "sqlite":
        async with engine.begin() as connection:
            await connection.exec_driver_sql("ANALYZE")
        return
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM ANALYZE")


# --- a kept database ---------------------------------------------------------------------

_FILLED = "CREATE TABLE IF NOT EXISTS bench_filled (events BIGINT, codes INTEGER, now TEXT)"
_KEPT_CODES = "CREATE TABLE IF NOT EXISTS bench_kept_codes (n INTEGER PRIMARY KEY, id TEXT)"


async def remember(engine: AsyncEngine, data: Dataset, events: int) -> None:
    """What a kept database holds, for the next run: the sizes, the moment it was
    filled, and the codes in order of popularity."""
    async with engine.begin() as connection:
        await connection.exec_driver_sql(_FILLED)
        await connection.exec_driver_sql(_KEPT_CODES)
        await connection.exec_driver_sql(
            f"INSERT INTO bench_filled VALUES ({events}, {len(data.codes)}, '{NOW.isoformat()}')"
        )
        await connection.exec_driver_sql(
            "INSERT INTO bench_kept_codes VALUES "
            + ", ".join(f"({n}, '{gid}')" for n, gid in enumerate(data.codes))
        )


async def recall(engine: AsyncEngine, events: int, codes: int) -> Dataset | None:
    """The dataset of a kept database filled with as many events and codes, and sets
    `NOW` to the moment it was filled; None if it holds another (or nothing)."""
    global NOW
    async with engine.begin() as connection:
        await connection.exec_driver_sql(_FILLED)
        await connection.exec_driver_sql(_KEPT_CODES)
        filled = (await connection.exec_driver_sql("SELECT * FROM bench_filled")).first()
        if filled is None or (int(filled[0]), int(filled[1])) != (events, codes):
            return None
        ids = [
            UUID(row[0])
            for row in await connection.exec_driver_sql(
                "SELECT id FROM bench_kept_codes ORDER BY n"
            )
        ]
        found = (
            await connection.execute(
                select(accounts.users).where(accounts.users.c.email == "bench@example.com")
            )
        ).one()
    NOW = datetime.fromisoformat(filled[2])
    owner = User(
        id=found.id,
        email=found.email,
        name=found.name,
        password_hash="x",
        role=Role.USER,
        created_at=found.created_at,
    )
    return Dataset(owner, ids)


async def forget_rollups(engine: AsyncEngine) -> None:
    """Empty every roll-up table (and the last day rolled up), to roll up again."""
    async with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if table.name.startswith("analytics_"):
                await connection.execute(delete(table))


async def run_on(
    kind: str,
    events: int,
    codes: int,
    repeat: int,
    naive_repeat: int | None,
    keep: str | None,
    *,
    keep_rollups: bool = False,
) -> dict[str, Measured]:
    if keep is None:
        async with fresh_database(kind) as engine:
            return await _run_on(engine, kind, events, codes, repeat, naive_repeat, None)
    async with kept_database(kind, keep) as (engine, existed):
        data = await recall(engine, events, codes) if existed else None
        if existed and data is None:
            raise SystemExit(f"--keep {keep}: the kept {kind} database holds other sizes")
        return await _run_on(
            engine, kind, events, codes, repeat, naive_repeat, data, keep_rollups=keep_rollups
        )


async def _run_on(
    engine: AsyncEngine,
    kind: str,
    events: int,
    codes: int,
    repeat: int,
    naive_repeat: int | None,
    kept: Dataset | None,
    *,
    keep_rollups: bool = False,
) -> dict[str, Measured]:
    if kept is None:
        began = time.perf_counter()
        data = await fill(engine, events, codes)
        await remember(engine, data, events)
        print(f"{kind}: {events:,} events inserted in {time.perf_counter() - began:.1f} s")
    else:
        data = kept
        if not keep_rollups:
            await forget_rollups(engine)
        print(f"{kind}: {events:,} events kept from {NOW:%Y-%m-%d %H:%M} UTC")
    began = time.perf_counter()
    uows = SqlUnitOfWorkFactory(engine)
    report = await RollUps(uow=uows, clock=lambda: NOW, retention_months=13).run()
    print(f"{kind}: {report.days} days rolled up in {time.perf_counter() - began:.1f} s")
    await refresh_statistics(engine)
    await engine.dispose()  # on SQLite the last connection closed checkpoints the WAL
    return await measure(engine, data, repeat, naive_repeat)


def report(results: dict[str, dict[str, Measured]]) -> None:
    engines = list(results)
    names = list(next(iter(results.values())))
    header = f"{'dashboard query':42}" + "".join(
        f" | {e + ' p50':>15} {'p95':>7} {'naive p50':>10} {'p95':>8} {'x':>6}" for e in engines
    )
    print()
    print(header)
    print("-" * len(header))
    for name in names:
        line = f"{name:42}"
        for engine in engines:
            m = results[engine][name]
            line += (
                f" | {m.p50:15.1f} {m.p95:7.1f} {m.naive_p50:10.1f} {m.naive_p95:8.1f} "
                f"{m.naive_p50 / max(m.p50, 1e-6):6.1f}"
            )
        print(line)
    worst = {e: max(m.p95 for m in results[e].values()) for e in engines}
    print(
        "\n(ms; x = naive p50 / roll-ups p50; naive is one GROUP BY over the raw events)"
        + "".join(f"\nworst p95 on {e}: {ms:.1f} ms (target: under 50)" for e, ms in worst.items())
    )


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite-events", type=int, default=100_000)
    parser.add_argument("--postgresql-events", type=int, default=300_000)
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--naive-repeat", type=int, default=None)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--keep", default=None, metavar="NAME", help="keep the filled databases")
    parser.add_argument(
        "--keep-rollups", action="store_true", help="with --keep, roll up only what is not yet"
    )
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Measured]] = {}
    for engine in args.engines.split(","):
        events = args.sqlite_events if engine == "sqlite" else args.postgresql_events
        results[engine] = await run_on(
            engine,
            events,
            args.codes,
            args.repeat,
            args.naive_repeat,
            args.keep,
            keep_rollups=args.keep_rollups,
        )
    report(results)


if __name__ == "__main__":
    asyncio.run(main())
