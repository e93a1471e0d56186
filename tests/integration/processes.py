"""Run the real `voiceqr` processes (and their services) for end-to-end tests.

* `processes` fixture: a `Processes` group that starts `voiceqr ...` (the console
  script next to `sys.executable`) or any other program with a given environment,
  writes each process's output to a log file, always stops every process it started
  (SIGTERM, then SIGKILL) and, when the test fails, appends every process's output
  to the failure report.
* `moto_s3` fixture: moto's S3 as a real HTTP server on 127.0.0.1 with a new bucket.
* `wait_for_http`, `wait_until`, `wait_until_async`: bounded polling that fails with
  the processes' output in the message.
* `start_redis_server`: a private, throw-away `redis-server` on a free port.

Import the fixtures into a test module (`from tests.integration.processes import
moto_s3, processes  # noqa: F401`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port, reachable, service_missing

VOICEQR = Path(sys.executable).parent / "voiceqr"
OUTPUT_TAIL = 12_000  # characters of each process's output kept in a failure report
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
# Children compile their imports once into this shared cache (outside the virtualenv)
# instead of on every start, which PYTHONDONTWRITEBYTECODE=1 would otherwise force:
# that is ~5x faster per process on a loaded machine.
PYCACHE = Path(tempfile.gettempdir()) / "voiceqr-test-pycache"


def clean_environ(**extra: str) -> dict[str, str]:
    """This process's environment without any VOICEQR_* variable, plus `extra`.

    `voiceqr` refuses unknown VOICEQR_* variables (the test suite's own
    VOICEQR_TEST_* ones included), so children only get the settings a test chose.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEQR_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass
class ManagedProcess:
    """A process started by `Processes`; its stdout and stderr go to `log_path`."""

    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()

    def output(self, tail: int | None = None) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        if tail is not None and len(text) > tail:
            return f"[... {len(text) - tail} characters cut ...]\n{text[-tail:]}"
        return text

    def describe(self) -> str:
        code = self.returncode
        state = "running" if code is None else f"exited with {code}"
        return (
            f"===== {self.name} (pid {self.pid}, {state}) =====\n"
            f"$ {' '.join(self.argv)}\n{self.output(OUTPUT_TAIL) or '(no output)'}"
        )


class ProcessFailed(AssertionError):
    pass


class Processes:
    """Every process a test started; `stop_all()` ends them all (the fixture calls it)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.started: list[ManagedProcess] = []
        self.finished_runs: list[str] = []  # output of one-shot commands, for reports

    # --- starting ---------------------------------------------------------------------

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        stdin: str | None = None,
    ) -> ManagedProcess:
        """Start `argv` in the background, in its own process group.

        `stdin`, if given, is written to the process's standard input, which is then closed.
        """
        log_path = self.log_dir / f"{len(self.started):02d}-{name}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                list(argv),
                env=dict(env),
                stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = ManagedProcess(name, list(argv), popen, log_path)
        self.started.append(process)
        if stdin is not None and popen.stdin is not None:
            try:
                with popen.stdin:
                    popen.stdin.write(stdin.encode())
            except BrokenPipeError:  # it exited already; its output will say why
                pass
        return process

    def voiceqr(
        self, name: str, *args: str, env: Mapping[str, str], stdin: str | None = None
    ) -> ManagedProcess:
        """Start `voiceqr ARGS...` in the background (`serve`, `worker`, or a command
        to `finish` later, so that several commands run at once)."""
        return self.start(name, [str(VOICEQR), *args], env=env, stdin=stdin)

    def finish(self, process: ManagedProcess, *, timeout: float) -> str:
        """Wait (bounded) for a command started in the background to succeed; its output.

        A timeout kills it; a timeout or a non-zero exit fails with the output.
        """
        if not _reap(process.popen, max(timeout, 0.0)):
            self.kill(process)
            raise ProcessFailed(
                f"{process.name} did not finish within {timeout:.1f}s\n{process.describe()}"
            )
        if process.returncode != 0:
            raise ProcessFailed(f"{process.name} failed\n{process.describe()}")
        return process.output()

    def run(
        self,
        *args: str,
        env: Mapping[str, str],
        stdin: str | None = None,
        timeout: float = 30.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run `voiceqr ARGS...` to completion; a non-zero exit fails with its output."""
        argv = [str(VOICEQR), *args]
        try:
            result = subprocess.run(
                argv,
                env=dict(env),
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:  # run() kills the child on timeout
            self.finished_runs.append(f"$ {' '.join(argv)}\n(timed out after {timeout}s)")
            raise ProcessFailed(
                f"`voiceqr {' '.join(args)}` did not finish within {timeout}s\n"
                f"{_text(exc.stdout)}{_text(exc.stderr)}"
            ) from None
        record = f"$ {' '.join(argv)}  -> exit {result.returncode}\n{result.stdout}{result.stderr}"
        self.finished_runs.append(record)
        if result.returncode != 0:
            raise ProcessFailed(f"`voiceqr {' '.join(args)}` failed:\n{record}")
        return result

    # --- stopping ---------------------------------------------------------------------

    def kill(self, process: ManagedProcess) -> None:
        """SIGKILL the process (and its group) at once, like a crashed machine would."""
        self._signal(process, signal.SIGKILL)
        _reap(process.popen, 5.0)

    def stop(self, process: ManagedProcess, *, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit code."""
        if process.alive:
            self._signal(process, signal.SIGTERM)
            if not _reap(process.popen, grace):
                self._signal(process, signal.SIGKILL)
                _reap(process.popen, 5.0)
        return process.returncode

    def stop_all(self) -> None:
        for process in reversed(self.started):
            try:
                self.stop(process)
            except Exception:  # keep stopping the others
                self._signal(process, signal.SIGKILL)

    @staticmethod
    def _signal(process: ManagedProcess, sig: signal.Signals) -> None:
        """Signal the process group we created for this very process (its pid)."""
        if process.popen.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            process.popen.send_signal(sig)

    # --- reporting --------------------------------------------------------------------

    def describe(self) -> str:
        parts = [*self.finished_runs, *(p.describe() for p in self.started)]
        return "\n\n".join(parts) or "(no processes were started)"

    def check_alive(self, *processes: ManagedProcess) -> None:
        """Fail at once, with the output, if one of these processes has exited."""
        for process in processes:
            if not process.alive:
                raise ProcessFailed(
                    f"{process.name} exited early with {process.returncode}\n{process.describe()}"
                )


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _reap(popen: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return True


class _FailureReport:
    """A pytest plugin that adds the processes' output to the report of a failed test."""

    def __init__(self, item: pytest.Item, processes: Processes) -> None:
        self.item = item
        self.processes = processes

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        report = yield
        if item is self.item and getattr(report, "failed", False):
            report.sections.append(  # type: ignore[attr-defined]
                (f"voiceqr processes ({call.when})", self.processes.describe())
            )
        return report


@pytest.fixture
def processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Processes]:
    """Start processes freely: all are stopped at teardown, their output reported."""
    group = Processes(tmp_path / "process-logs")
    plugin = _FailureReport(request.node, group)
    request.config.pluginmanager.register(plugin, f"voiceqr-processes-{id(plugin)}")
    try:
        yield group
    finally:
        group.stop_all()
        request.config.pluginmanager.unregister(plugin)


# --- waiting ---------------------------------------------------------------------------


class Deadline:
    """One time budget for a whole test: each wait gets what is left, at most its own cap."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.at = self.started + seconds

    def left(self, cap: float | None = None) -> float:
        remaining = max(self.at - time.monotonic(), 0.0)
        return remaining if cap is None else min(cap, remaining)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def wait_until(
    condition: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    processes: Processes | None = None,
    watch: Sequence[ManagedProcess] = (),
    interval: float = 0.2,
) -> Any:
    """Poll `condition` until it returns something truthy (returned) or fail after `timeout`.

    Processes in `watch` must stay up meanwhile; a failure message carries the output.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        if processes is not None:
            processes.check_alive(*watch)
        last = condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    report = f"\n\n{processes.describe()}" if processes is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}{report}")


async def wait_until_async(
    condition: Callable[[], Awaitable[Any]],
    *,
    timeout: float,  # noqa: ASYNC109 - a polling budget, reported in the failure message
    what: str,
    processes: Processes | None = None,
    watch: Sequence[ManagedProcess] = (),
    interval: float = 0.2,
) -> Any:
    """`wait_until` for an async condition, sleeping without blocking the event loop."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        if processes is not None:
            processes.check_alive(*watch)
        last = await condition()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(interval)
    report = f"\n\n{processes.describe()}" if processes is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}{report}")


def wait_for_http(
    url: str,
    *,
    timeout: float = 20.0,
    processes: Processes | None = None,
    watch: Sequence[ManagedProcess] = (),
) -> httpx.Response:
    """Poll `url` until it answers 200 (bounded); returns that response."""

    def answered() -> httpx.Response | None:
        try:
            response = httpx.get(url, timeout=2.0)
        except httpx.HTTPError:
            return None
        return response if response.status_code == 200 else None

    result: httpx.Response = wait_until(
        answered,
        timeout=timeout,
        what=f"{url} to answer 200",
        processes=processes,
        watch=watch,
        interval=0.1,
    )
    return result


# --- S3 (moto) ---------------------------------------------------------------------------

S3_REGION = "us-east-1"
S3_KEY = "testing"


@dataclass
class MotoS3:
    endpoint: str
    bucket: str
    region: str = S3_REGION
    access_key_id: str = S3_KEY
    secret_access_key: str = S3_KEY

    def env(self) -> dict[str, str]:
        """The VOICEQR_STORAGE_* settings that store audio in this bucket."""
        return {
            "VOICEQR_STORAGE": "s3",
            "VOICEQR_STORAGE_S3_BUCKET": self.bucket,
            "VOICEQR_STORAGE_S3_REGION": self.region,
            "VOICEQR_STORAGE_S3_ENDPOINT_URL": self.endpoint,
            "VOICEQR_STORAGE_S3_ACCESS_KEY_ID": self.access_key_id,
            "VOICEQR_STORAGE_S3_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def client(self) -> Any:
        import botocore.session

        return botocore.session.get_session().create_client(
            "s3",
            region_name=self.region,
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under `prefix` (the bucket is small: one page is plenty)."""
        listing = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1000)
        return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.fixture
def moto_s3() -> Iterator[MotoS3]:
    """moto's S3 as an HTTP server on a free 127.0.0.1 port, with a fresh bucket."""
    from moto.server import ThreadedMotoServer

    # Its request log would fill every failure report; keep warnings and errors only.
    werkzeug = logging.getLogger("werkzeug")
    level = werkzeug.level
    werkzeug.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = MotoS3(endpoint=f"http://{host}:{port}", bucket=f"voiceqr-{uuid.uuid4().hex[:12]}")
        s3.client().create_bucket(Bucket=s3.bucket)
        yield s3
    finally:
        server.stop()
        werkzeug.setLevel(level)


# --- a private Redis -----------------------------------------------------------------------


def redis_server_path() -> str:
    path = shutil.which("redis-server")
    if path is None:
        service_missing("redis-server is not installed (apt-get install -y redis-server)")
    return str(path)


def start_redis_server(
    processes: Processes, port: int, *, name: str = "redis-server", timeout: float = 10.0
) -> ManagedProcess:
    """A throw-away redis-server on 127.0.0.1:`port` (no persistence); waits until it answers."""
    server = processes.start(
        name,
        [
            redis_server_path(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ],
        env=clean_environ(),
    )
    wait_until(
        lambda: reachable("127.0.0.1", port, timeout=0.2),
        timeout=timeout,
        what=f"redis-server on port {port}",
        processes=processes,
        watch=[server],
        interval=0.05,
    )
    return server
