"""The public playback page `/p/{code}` against a bare Litestar handler, in one run.

    .venv/bin/python bench/playback.py [--seconds 10] [--connections 64] [--rounds 2]
                                       [--engines sqlite,postgresql] [--exact 2000]

Every scan of every printed code opens this page, so it is held to the framework's own
speed. For each engine the script makes a fresh platform (a temporary SQLite file; a
PostgreSQL database created on 127.0.0.1 and dropped afterwards, with hits going through
the Redis stream as in production), creates a user and one completed generation with the
CLI, then starts two servers, each one uvicorn process on 127.0.0.1:

- `bare`: a Litestar app whose only handler, `GET /p/{code}`, returns the very bytes the
  voiceqr page returned for the code (same size, same content type), with no database,
  template, middleware or counting;
- `voiceqr`: `voiceqr serve`.

`wrk` loads each in turn (`--rounds` times, alternating, after a warm-up), and the table
gives requests per second, p50 and p99 latency, errors and the ratio voiceqr / bare.

Then it checks the counting: `--exact` requests from an HTTP client, all answered 200,
must each leave exactly one stored scan event. SQLite (embedded): after a graceful stop
(the buffer is flushed on shutdown). PostgreSQL: the web process is killed with SIGKILL
right after the last answer, then `voiceqr worker` stores what the Redis stream holds.

Needs `wrk` (installed with apt-get when missing, and said so), PostgreSQL and Redis on
127.0.0.1 for the PostgreSQL run. Every load targets 127.0.0.1 and is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from voiceqr.adapters.database.playback import playback_events
from voiceqr.adapters.database.unit_of_work import create_engine

VENV_BIN = Path(sys.executable).parent
VOICEQR = str(VENV_BIN / "voiceqr")
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
TEXT = "Welcome to the east wing. The painting before you was finished in 1889, in the spring."

BARE_APP = """
import sys
from pathlib import Path
from litestar import Litestar, MediaType, get

BODY = Path(sys.argv[1]).read_bytes()

@get("/p/{code:str}", media_type=MediaType.HTML)
async def playback(code: str) -> bytes:
    return BODY

app = Litestar(route_handlers=[playback], logging_config=None)
"""


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is not installed: installing it with apt-get (Debian package `wrk`)")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("could not install wrk; install it and run again")
    return found


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server for {url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer within {timeout} s")


def run_wrk(wrk: str, url: str, *, seconds: int, connections: int) -> Load:
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    ).stdout

    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"no {percent}% latency in wrk's output:\n{out}")
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(
        int(n)
        for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)
        + re.findall(r"Non-2xx or 3xx responses: (\d+)", out)
    )
    return Load(float(rps.group(1)) if rps else 0.0, latency("50"), latency("99"), errors)


@dataclass
class Platform:
    env: dict[str, str]
    code: str
    directory: Path

    def voiceqr(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [VOICEQR, *args], env=self.env, input=stdin, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"voiceqr {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [VOICEQR, "serve", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / f"serve-{port}.log", "wb"),
        )

    def stored_scans(self) -> int:
        """Scan events stored in the platform's database."""
        url = self.env.get("VOICEQR_DATABASE_URL") or (
            f"sqlite+aiosqlite:///{Path(self.env['VOICEQR_DATA_DIR']) / 'voiceqr.db'}"
        )

        async def count() -> int:
            engine = create_engine(url)
            try:
                async with engine.connect() as connection:
                    query = select(func.count()).where(playback_events.c.kind == "scan")
                    return int((await connection.execute(query)).scalar_one())
            finally:
                await engine.dispose()

        return asyncio.run(count())


@contextmanager
def platform_on(engine: str) -> Iterator[Platform]:
    with tempfile.TemporaryDirectory(prefix="voiceqr-bench-") as tmp:
        directory = Path(tmp)
        env = {
            **os.environ,
            "VOICEQR_DATA_DIR": str(directory / "data"),
            "VOICEQR_AUTH_SECRET_KEY": secrets.token_urlsafe(32),
            "VOICEQR_LOG_LEVEL": "WARNING",
        }
        database = f"voiceqr_bench_{secrets.token_hex(4)}"
        if engine == "postgresql":
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
            env["VOICEQR_DATABASE_URL"] = f"{POSTGRES}/{database}"
            env["VOICEQR_QUEUE_REDIS_URL"] = REDIS
            env["VOICEQR_QUEUE_STREAM"] = f"voiceqr-bench:{database}:generations"
            env["VOICEQR_PLAYBACK_STREAM"] = f"voiceqr-bench:{database}:hits"
        try:
            seeding = Platform({**env, "VOICEQR_QUEUE": "memory"}, "", directory)
            seeding.voiceqr("db", "upgrade")
            seeding.voiceqr(
                "users", "create", "bench@example.com", "--name", "Bench",
                "--password-stdin", stdin="bench-password-1\n",
            )  # fmt: skip
            if engine == "postgresql":
                seeding.voiceqr("voices", "seed")
            voice = seeding.voiceqr("voices", "list").split()[0]
            made = seeding.voiceqr(
                "generate", TEXT, "--voice", voice, "--owner", "bench@example.com",
                "--audio-out", str(directory / "a.mp3"), "--qr-out", str(directory / "q.svg"),
            )  # fmt: skip
            code = re.search(r"/p/([\w-]+)", made)
            if not code:
                sys.exit(f"no playback URL in `voiceqr generate`'s output:\n{made}")
            if engine == "postgresql":
                env["VOICEQR_QUEUE"] = "redis"
            yield Platform(env, code.group(1), directory)
        finally:
            if engine == "postgresql":
                subprocess.run(
                    ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--force", database],
                    check=False,
                )
                streams = [env["VOICEQR_QUEUE_STREAM"], env["VOICEQR_PLAYBACK_STREAM"]]
                subprocess.run(
                    ["redis-cli", "-h", "127.0.0.1", "DEL", *streams],
                    check=False,
                    capture_output=True,
                )


async def exact_requests(url: str, count: int, connections: int) -> int:
    """`count` GETs of `url`, `connections` at a time; returns how many were answered 200."""
    answered = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one_connection() -> None:
            nonlocal answered
            while not queue.empty():
                queue.get_nowait()
                response = await client.get(url, headers={"User-Agent": "bench/1.0 (exact)"})
                answered += response.status_code == 200

        await asyncio.gather(*(one_connection() for _ in range(connections)))
    return answered


def bench_engine(engine: str, args: argparse.Namespace, wrk: str) -> None:
    with platform_on(engine) as platform:
        voiceqr_port, bare_port = free_port(), free_port()
        server = platform.serve(voiceqr_port)
        voiceqr_url = f"http://127.0.0.1:{voiceqr_port}/p/{platform.code}"
        wait_until_up(voiceqr_url, server)
        body = httpx.get(voiceqr_url).content
        (platform.directory / "page.html").write_bytes(body)
        (platform.directory / "bare.py").write_text(BARE_APP)
        bare = subprocess.Popen(
            [
                sys.executable, "-c",
                "import sys, uvicorn, runpy; sys.argv = sys.argv[1:];"
                "app = runpy.run_path(sys.argv[0])['app'];"
                f"uvicorn.run(app, host='127.0.0.1', port={bare_port}, log_config=None)",
                str(platform.directory / "bare.py"), str(platform.directory / "page.html"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        bare_url = f"http://127.0.0.1:{bare_port}/p/{platform.code}"
        try:
            wait_until_up(bare_url, bare)
            for url in (bare_url, voiceqr_url):  # warm-up
                run_wrk(wrk, url, seconds=2, connections=args.connections)
            loads: dict[str, list[Load]] = {"bare": [], "voiceqr": []}
            for _ in range(args.rounds):
                for name, url in (("bare", bare_url), ("voiceqr", voiceqr_url)):
                    loads[name].append(
                        run_wrk(wrk, url, seconds=args.seconds, connections=args.connections)
                    )
            report(engine, body, loads, args)
            check_counting(engine, platform, server, voiceqr_url, args)
        finally:
            for process in (server, bare):
                if process.poll() is None:
                    process.send_signal(signal.SIGINT)
                    try:
                        process.wait(timeout=20)
                    except subprocess.TimeoutExpired:
                        process.kill()


def report(
    engine: str, body: bytes, loads: dict[str, list[Load]], args: argparse.Namespace
) -> None:
    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    rows = {
        name: Load(
            mean([r.requests_per_second for r in runs]),
            mean([r.p50_ms for r in runs]),
            mean([r.p99_ms for r in runs]),
            sum(r.errors for r in runs),
        )
        for name, runs in loads.items()
    }
    bare, ours = rows["bare"], rows["voiceqr"]
    print(
        f"\n{engine}: GET /p/{{code}}, {len(body)} bytes, {args.connections} connections, "
        f"{args.rounds} x {args.seconds} s each (means)"
    )
    print(f"{'':10} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for name, load in rows.items():
        print(
            f"{name:10} {load.requests_per_second:>10.0f} {load.p50_ms:>9.1f} "
            f"{load.p99_ms:>9.1f} {load.errors:>7}"
        )
    print(
        f"{'ratio':10} {ours.requests_per_second / bare.requests_per_second:>10.2f} "
        f"{ours.p50_ms / bare.p50_ms:>9.2f} {ours.p99_ms / bare.p99_ms:>9.2f}"
        "   (req/s target >= 0.50; p99 target <= 2.5)"
    )


def check_counting(
    engine: str,
    platform: Platform,
    server: subprocess.Popen[bytes],
    url: str,
    args: argparse.Namespace,
) -> None:
    # What the load left in flight is stored first, so the exact requests are counted alone.
    time.sleep(2)
    if engine == "postgresql":
        drain_with_worker(platform)
    before = platform.stored_scans()
    answered = asyncio.run(exact_requests(url, args.exact, args.connections))
    if engine == "postgresql":
        server.kill()  # SIGKILL: nothing is flushed on the way out
        server.wait()
        drain_with_worker(platform)
        how = "web process killed with SIGKILL, then a worker drained the Redis stream"
    else:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        how = "graceful stop"
    stored = platform.stored_scans() - before
    verdict = "ok" if stored == answered else "MISMATCH"
    print(f"counting: {answered} answered 200, {stored} scan events stored ({how}): {verdict}")


def drain_with_worker(platform: Platform, *, timeout: float = 120) -> None:
    """Run `voiceqr worker` until the Redis stream is empty and the stored count holds."""
    log = platform.directory / "worker.log"
    worker = subprocess.Popen(
        [VOICEQR, "worker"], env=platform.env, stdout=subprocess.DEVNULL,
        stderr=open(log, "ab"),  # noqa: SIM115
    )  # fmt: skip
    stream = platform.env["VOICEQR_PLAYBACK_STREAM"]
    try:
        deadline = time.monotonic() + timeout
        last, steady = -1, 0
        while steady < 2:
            if time.monotonic() > deadline or worker.poll() is not None:
                sys.exit(f"the worker did not empty {stream}:\n{log.read_text()[-3000:]}")
            time.sleep(1)
            now = platform.stored_scans()
            steady = steady + 1 if now == last and stream_length(stream) == 0 else 0
            last = now
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def stream_length(stream: str) -> int:
    """Entries left in the stream; the worker deletes each one once it is stored."""
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "XLEN", stream], capture_output=True, text=True
    )
    return int(done.stdout.strip() or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--exact", type=int, default=2000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    args = parser.parse_args()
    wrk = ensure_wrk()
    for engine in args.engines.split(","):
        bench_engine(engine.strip(), args, wrk)


if __name__ == "__main__":
    main()
