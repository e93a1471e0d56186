"""CPU time per request of the public playback page `/p/{code}`, in process, beside a
bare Litestar handler that returns the same bytes.

    .venv/bin/python bench/playback_cpu.py [--requests 20000] [--rounds 3] [--profile 25]

`bench/playback.py` loads real servers with wrk, which on a shared machine is as noisy as
its neighbours. This one calls both ASGI apps directly, one request after another on one
event loop, and divides the process CPU time (every thread: the hit buffer's flush into
SQLite included) by the requests served. No socket and no HTTP parsing are in either
number, so the difference is what voiceqr adds to the framework's own handling. It
makes a fresh embedded platform (SQLite, in-process worker) as `bench/playback.py` does,
and checks at the end that the scan events stored equal the requests served.

Two visitors are timed: `wrk` sends only a Host header (what the wrk bench measures), and
`phone` sends what a phone's browser sends (user agent, languages, `Accept-Encoding:
gzip`). `--profile N` prints cProfile's N most expensive functions for voiceqr's page.

`--holds S` measures instead: it serves the page for S seconds from 8 concurrent callers
and prints, for each background task on the event loop (storing the scans, the periodic
jobs...), the CPU time its steps held the loop: while a step runs, no page is served,
so its longest steps are what a scan can wait behind (the p99). To see each step, its
tasks are the pure-Python ones of asyncio for that run (slower, but only they are timed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import runpy
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from playback import BARE_APP, platform_on

App = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]
VISITORS: dict[str, list[tuple[bytes, bytes]]] = {
    "wrk": [(b"host", b"127.0.0.1:8000")],
    "phone": [
        (b"host", b"127.0.0.1:8000"),
        (
            b"user-agent",
            b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
            b"(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        ),
        (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        (b"accept-language", b"en-GB,en;q=0.9"),
        (b"accept-encoding", b"gzip, deflate, br"),
    ],
}


def scope(path: str, headers: list[tuple[bytes, bytes]], port: int) -> dict[str, Any]:
    """What uvicorn hands the app for one GET (a new dict each time: apps write into it)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", port),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def one(app: App, path: str, headers: list[tuple[bytes, bytes]], port: int) -> int:
    status = 0

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope(path, headers, port), receive, send)
    return status


async def cpu_per_request(app: App, path: str, headers: list[tuple[bytes, bytes]], n: int) -> float:
    """Microseconds of process CPU per request over `n` requests (each from its own port,
    as each scan comes from its own phone)."""
    for i in range(200):  # warm-up: caches filled, the page rendered once
        assert await one(app, path, headers, 1024 + i) == 200
    started = time.process_time()
    for i in range(n):
        status = await one(app, path, headers, 1024 + i % 60000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return (time.process_time() - started) / n * 1e6


async def bench(args: argparse.Namespace) -> None:
    with platform_on("sqlite") as seeded:
        os.environ.update(seeded.env)
        from litestar import Litestar

        from voiceqr.bootstrap import build
        from voiceqr.entrypoints.cli.kit import settings
        from voiceqr.entrypoints.cli.running import settle_collector
        from voiceqr.entrypoints.http import create_app

        page_path = f"/p/{seeded.code}"
        platform = build(settings())
        voiceqr = create_app(platform)
        if args.holds:
            await _loop_holds(voiceqr, page_path, args.holds)
            return
        served = 0
        async with voiceqr.lifespan():
            body = await _body(voiceqr, page_path)
            (seeded.directory / "page.html").write_bytes(body)
            sys.argv = ["bare", str(seeded.directory / "page.html")]
            (seeded.directory / "bare.py").write_text(BARE_APP)  # the wrk bench's bare app
            bare: Litestar = runpy.run_path(str(seeded.directory / "bare.py"))["app"]
            # As `voiceqr serve` runs: start-up objects out of the collector's passes.
            gc.collect()
            settle_collector()
            print(
                f"GET {page_path}: {len(body)} bytes; {args.requests} requests x "
                f"{args.rounds} rounds each, alternating; "
                f"load average {os.getloadavg()[0]:.2f} at start"
            )
            results: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for visitor, headers in VISITORS.items():
                    for name, app in (("bare", bare), ("voiceqr", voiceqr)):
                        us = await cpu_per_request(app, page_path, headers, args.requests)
                        results.setdefault((visitor, name), []).append(us)
                        served += (args.requests + 200) if name == "voiceqr" else 0
            print(f"{'':8} {'bare µs':>9} {'voiceqr µs':>11} {'extra µs':>9} {'ratio':>7}")
            for visitor in VISITORS:
                b = min(results[(visitor, "bare")])
                v = min(results[(visitor, "voiceqr")])
                print(f"{visitor:8} {b:>9.1f} {v:>11.1f} {v - b:>9.1f} {v / b:>7.2f}")
            print(
                "(the lowest of the rounds; every round: "
                + ", ".join(
                    f"{visitor}/{name} " + "/".join(f"{us:.0f}" for us in runs)
                    for (visitor, name), runs in results.items()
                )
                + f"; load average {os.getloadavg()[0]:.2f} at end)"
            )
            if args.profile:
                served += await _profile(voiceqr, page_path, args)
        stored = await asyncio.to_thread(seeded.stored_scans)
        # The page was fetched once before timing, by _body.
        verdict = "ok" if stored == served + 1 else "MISMATCH"
        print(f"counting: {served + 1} requests served, {stored} scan events stored: {verdict}")


async def _loop_holds(app: Any, path: str, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    steps: dict[str, list[float]] = {}
    run = asyncio.Handle._run

    def timed_run(handle: asyncio.Handle) -> None:
        started = time.thread_time()  # this thread's CPU: waiting for the GIL is not in it
        run(handle)
        task = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
        if isinstance(task, asyncio.tasks._PyTask):  # type: ignore[attr-defined]
            name = task.get_coro().__qualname__
            steps.setdefault(name, []).append(time.thread_time() - started)

    loop.set_task_factory(lambda loop, coro, **kw: asyncio.tasks._PyTask(coro, loop=loop, **kw))  # type: ignore[attr-defined]
    asyncio.Handle._run = timed_run  # type: ignore[method-assign]
    served = 0
    try:
        async with app.lifespan():
            await one(app, path, VISITORS["wrk"], 1000)
            from voiceqr.entrypoints.cli.running import settle_collector

            gc.collect()  # as `voiceqr serve` runs (see the rounds above)
            settle_collector()
            steps.clear()
            until = time.perf_counter() + seconds

            async def caller(port: int) -> None:
                nonlocal served
                while time.perf_counter() < until:
                    await one(app, path, VISITORS["phone"], port)
                    served += 1
                    await asyncio.sleep(0)  # as a server: other work between requests

            await asyncio.gather(*(asyncio.create_task(caller(2000 + n)) for n in range(8)))
    finally:
        asyncio.Handle._run = run  # type: ignore[method-assign]
        loop.set_task_factory(None)
    print(f"\nevent-loop holds over {seconds:.0f} s, {served} pages served by 8 callers")
    print(f"{'task':34} {'steps':>7} {'CPU ms':>8} {'p99 ms':>7} {'max ms':>7}  longest ms")
    for name, held in sorted(steps.items(), key=lambda kv: -max(kv[1])):
        held.sort()
        p99 = held[int(0.99 * (len(held) - 1))]
        print(
            f"{name[:34]:34} {len(held):>7} {sum(held) * 1e3:>8.1f} {p99 * 1e3:>7.2f} "
            f"{held[-1] * 1e3:>7.2f}  " + " ".join(f"{h * 1e3:.1f}" for h in held[-5:])
        )


async def _body(app: App, path: str) -> bytes:
    chunks: list[bytes] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope(path, VISITORS["wrk"], 1023), receive, send)
    return b"".join(chunks)


async def _profile(app: App, path: str, args: argparse.Namespace) -> int:
    n = args.requests // 4
    for visitor, headers in VISITORS.items():
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(n):
            await one(app, path, headers, 1024 + i)
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(order)
            stats.print_stats(args.profile)
            print(f"\ncProfile of {n} voiceqr requests ({visitor}'s headers), by {order}:")
            print(out.getvalue())
    return n * len(VISITORS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=int, default=0, help="functions to list (0: none)")
    parser.add_argument("--holds", type=float, default=0, help="seconds of loop holds (0: none)")
    args = parser.parse_args()
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
