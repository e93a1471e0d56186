"""How long `voiceqr serve` takes from its start to the first 200 on /healthz.

    .venv/bin/python bench/start.py [--runs 5]

Each run starts `voiceqr serve` (the embedded platform) on a free port of 127.0.0.1 in
one data directory, polls /healthz every 10 ms until it answers 200, prints that time
and stops the server with SIGINT. The first run is a fresh data directory (it migrates
and seeds); the others are warm restarts, what a developer waits for after an edit.

It first says whether the modules the server imports have bytecode: without it (no .pyc
written at install, and PYTHONDONTWRITEBYTECODE set) every start compiles them again.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

VOICEQR = Path(sys.executable).with_name("voiceqr")
TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc: unlike the wall
    time, it does not grow when other processes share the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_to_first_answer(data_dir: Path) -> tuple[float, float]:
    """Seconds from the process start to the first 200 on /healthz, and the CPU
    seconds the server spent until then."""
    port = _free_port()
    env = {**os.environ, "VOICEQR_DATA_DIR": str(data_dir), "VOICEQR_PORT": str(port)}
    start = time.perf_counter()
    server = subprocess.Popen(
        [str(VOICEQR), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while not _answers(f"http://127.0.0.1:{port}/healthz"):
            if server.poll() is not None:
                sys.exit(f"voiceqr serve stopped with {server.returncode} before answering")
            if time.perf_counter() - start > TIMEOUT:
                sys.exit(f"no answer from voiceqr serve in {TIMEOUT:.0f} s")
            time.sleep(0.01)
        return time.perf_counter() - start, _cpu_seconds(server.pid)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def bytecode_report() -> str:
    """How many of the modules `voiceqr serve` imports have no up-to-date .pyc, and
    whether a start may write the missing ones."""
    checked = subprocess.run(
        [sys.executable, "-m", "voiceqr.entrypoints.bytecode", "--check"],
        capture_output=True,
        text=True,
    )
    lines = checked.stdout.strip().splitlines()
    counted = lines[-1] if checked.returncode == 0 and lines else "could not count them"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return f"bytecode: {counted}; PYTHONDONTWRITEBYTECODE is set (no start writes them)"
    return f"bytecode: {counted}; PYTHONDONTWRITEBYTECODE is unset (the first start writes them)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(bytecode_report(), flush=True)
    with tempfile.TemporaryDirectory(prefix="voiceqr-start-") as folder:
        data_dir = Path(folder)
        wall, cpu = time_to_first_answer(data_dir)
        print(f"fresh data directory: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
        warm, warm_cpu = [], []
        for run in range(1, runs):
            wall, cpu = time_to_first_answer(data_dir)
            warm.append(wall)
            warm_cpu.append(cpu)
            print(f"warm start {run}: {wall:.2f} s (CPU {cpu:.2f} s)", flush=True)
    if warm:
        print(
            f"warm start median: {statistics.median(warm):.2f} s "
            f"(CPU {statistics.median(warm_cpu):.2f} s) of {len(warm)}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
