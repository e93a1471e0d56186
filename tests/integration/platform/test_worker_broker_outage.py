"""`voiceqr worker` and a job queue that is not there: it waits, says so once, and takes
jobs as soon as the queue answers, at start and after an outage while it runs.

The worker is the real process on PostgreSQL; the queue is a private, throw-away
`redis-server` on a free 127.0.0.1 port, started (and stopped) by the test, so a
"closed port" is simply that port before the server starts.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.processes import (
    Deadline,
    ManagedProcess,
    Processes,
    clean_environ,
    processes,  # noqa: F401
    start_redis_server,
    wait_until,
    wait_until_async,
)
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.bootstrap import Platform, build
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice, VoiceSample
from voiceqr.settings import load

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "correct horse battery staple"


def worker_env(database_url: str, redis_port: int, tmp_path: Path) -> dict[str, str]:
    return clean_environ(
        VOICEQR_DATABASE_URL=database_url,
        VOICEQR_QUEUE="redis",
        VOICEQR_QUEUE_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        VOICEQR_QUEUE_STREAM=f"voiceqr:test:{uuid.uuid4().hex}",
        VOICEQR_DATA_DIR=str(tmp_path / "data"),
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        VOICEQR_LOG_LEVEL="INFO",
    )


def unreachable_line(port: int) -> re.Pattern[str]:
    """The one line a worker logs when the queue goes away: where, why, and when next."""
    return re.compile(
        rf"queue unreachable at redis://127\.0\.0\.1:{port}/0: "
        rf"(Error \d+ connecting to 127\.0\.0\.1:{port}|Connection closed by server)"
        r"[^\n]*; retrying in \d+\.\d s\n"
    )


def said(worker: ManagedProcess, text: str) -> int:
    return worker.output().count(text)


async def owner_and_voice(platform: Platform) -> tuple[User, Voice]:
    admin = await platform.accounts.accounts.create_user(
        email=f"{uuid.uuid4().hex[:10]}@example.com",
        name="Ada",
        password=PASSWORD,
        role=Role.ADMIN,
        actor=OPERATOR,
    )
    voice = await platform.voices.create(admin, VoiceSpec("Sam", "en-us", "espeak"))
    # Published with a sample, as a voice people can pick must be.
    sample = VoiceSample(id=uuid7(), key=f"samples/{voice.id}/set-up.mp3")
    voice = await platform.voices.update(admin, voice.id, {"samples": [sample], "published": True})
    return admin, voice


def test_a_worker_started_while_the_queue_is_unreachable_keeps_waiting_and_says_so_once(
    fresh_postgres: str,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(40)
    port = free_port()  # nothing listens there
    worker = processes.voiceqr("worker", "worker", env=worker_env(fresh_postgres, port, tmp_path))

    wait_until(
        lambda: unreachable_line(port).search(worker.output()),
        timeout=deadline.left(25),
        what="the worker to say the queue is unreachable",
        processes=processes,
        watch=[worker],
    )
    # It goes on trying (1 s, then 2 s, then 4 s later...) without a word more.
    time.sleep(4)
    processes.check_alive(worker)
    output = worker.output()
    assert said(worker, "queue unreachable") == 1, output
    assert "Traceback" not in output
    assert "worker started" in output

    assert processes.stop(worker) == 0, worker.describe()
    assert "worker stopped" in worker.output()
    assert "Traceback" not in worker.output()
    assert deadline.elapsed < 40


async def test_a_waiting_worker_takes_jobs_once_the_queue_is_up_and_again_after_an_outage(
    fresh_postgres: str,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(100)
    port = free_port()
    env = worker_env(fresh_postgres, port, tmp_path)
    worker = processes.voiceqr("worker", "worker", env=env)
    wait_until(
        lambda: unreachable_line(port).search(worker.output()),
        timeout=deadline.left(25),
        what="the worker to say the queue is unreachable",
        processes=processes,
        watch=[worker],
    )

    # The queue comes up: the worker connects at its next retry.
    redis = start_redis_server(processes, port)
    wait_until(
        lambda: said(worker, "queue reachable again") == 1,
        timeout=deadline.left(40),
        what="the worker to reach the queue",
        processes=processes,
        watch=[worker],
    )

    platform = build(load(env))
    await platform.start()
    try:
        owner, voice = await owner_and_voice(platform)

        async def finished(generation: Generation) -> Generation | None:
            g = await platform.generations.generations.get_for_owner(owner, generation.id)
            return g if g.is_finished else None

        first = await platform.generations.generations.request(
            owner, text="Up at last.", voice_id=voice.id
        )
        done = await wait_until_async(
            lambda: finished(first),
            timeout=deadline.left(30),
            what="the worker to make the first generation",
            processes=processes,
            watch=[worker],
        )
        assert done.status is GenerationStatus.COMPLETED, done

        # The queue goes away while the worker runs (and comes back empty: no disk).
        processes.stop(redis)
        wait_until(
            lambda: said(worker, "queue unreachable") == 2,
            timeout=deadline.left(20),
            what="the worker to notice the queue went away",
            processes=processes,
            watch=[worker],
        )
        assert len(unreachable_line(port).findall(worker.output())) == 2, worker.output()
        start_redis_server(processes, port, name="redis-server-again")
        wait_until(
            lambda: said(worker, "queue reachable again") == 2,
            timeout=deadline.left(40),
            what="the worker to reach the queue again",
            processes=processes,
            watch=[worker],
        )

        second = await platform.generations.generations.request(
            owner, text="Back again.", voice_id=voice.id
        )
        done = await wait_until_async(
            lambda: finished(second),
            timeout=deadline.left(40),
            what="the worker to make the generation sent after the outage",
            processes=processes,
            watch=[worker],
        )
        assert done.status is GenerationStatus.COMPLETED, done
    finally:
        await platform.stop()

    assert "Traceback" not in worker.output()
    assert processes.stop(worker) == 0, worker.describe()
    assert "worker stopped" in worker.output()
    assert deadline.elapsed < 100
