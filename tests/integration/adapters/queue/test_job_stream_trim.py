"""The job stream on a real Redis keeps only the jobs no worker has acknowledged yet.

Each test starts its own throw-away `redis-server` on a free 127.0.0.1 port, so the
shared Redis is never touched.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from taskiq.api import run_receiver_task
from taskiq.kicker import AsyncKicker

from tests.conftest import free_port
from tests.integration.processes import (
    Deadline,
    Processes,
    clean_environ,
    processes,  # noqa: F401
    start_redis_server,
    wait_until_async,
)
from voiceqr.adapters.queue.redis_stream import CONSUMER_GROUP, RedisJobStream, redis_stream_broker
from voiceqr.bootstrap import build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.settings import load

pytestmark = pytest.mark.redis

JOB = "voiceqr.test.job"


@pytest.fixture
def private_redis(processes: Processes) -> str:  # noqa: F811
    port = free_port()
    start_redis_server(processes, port)
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
async def redis(private_redis: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(private_redis)
    try:
        yield client
    finally:
        await client.aclose()


async def eventually(condition: Callable[[], Awaitable[Any]], what: str) -> Any:
    return await wait_until_async(condition, timeout=15, what=what, interval=0.05)


async def test_acknowledged_jobs_are_trimmed_and_unfinished_ones_stay(
    private_redis: str, redis: Redis
) -> None:
    stream = f"voiceqr:test:{uuid.uuid4().hex}"
    broker = redis_stream_broker(private_redis, stream)
    done: list[str] = []

    async def job(name: str) -> None:
        done.append(name)

    broker.register_task(job, task_name=JOB)
    kicker: AsyncKicker[[str], None] = AsyncKicker(task_name=JOB, broker=broker, labels={})
    broker.is_worker_process = True
    await broker.startup()
    receiver = asyncio.create_task(run_receiver_task(broker, run_startup=False))
    try:
        for n in range(20):
            await kicker.kiq(f"job {n}")

        async def all_acknowledged() -> bool:
            pending = await redis.xpending(stream, CONSUMER_GROUP)
            return len(done) == 20 and pending["pending"] == 0

        await eventually(all_acknowledged, "the 20 jobs to run and be acknowledged")
        assert await redis.xlen(stream) == 20, "acknowledged, but still in the stream"

        assert await broker.trim_acknowledged() == 20
        assert await redis.xlen(stream) == 0
        assert await broker.trim_acknowledged() == 0
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    # A worker took one job and died before acknowledging it; two more wait unread.
    for n in range(3):
        await kicker.kiq(f"later {n}")
    taken = await redis.xreadgroup(CONSUMER_GROUP, "a-dead-worker", {stream: ">"}, count=1)
    held = taken[0][1][0][0]
    waiting = [entry_id for entry_id, _ in await redis.xrange(stream)]
    assert len(waiting) == 3
    assert waiting[0] == held

    assert await broker.trim_acknowledged() == 0
    assert [entry_id for entry_id, _ in await redis.xrange(stream)] == waiting
    assert (await redis.xpending(stream, CONSUMER_GROUP))["pending"] == 1

    # Another worker does the two unread ones: they stay behind the one still held...
    receiver = asyncio.create_task(run_receiver_task(broker, run_startup=False))
    try:

        async def both_done() -> bool:
            return {"later 1", "later 2"} <= set(done)

        await eventually(both_done, "the two unread jobs to run")
        await asyncio.sleep(0.2)  # their acknowledgements
        assert await broker.trim_acknowledged() == 0
        assert [entry_id for entry_id, _ in await redis.xrange(stream)] == waiting
    finally:
        receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    # ...until it is acknowledged too.
    await redis.xack(stream, CONSUMER_GROUP, held)
    assert await broker.trim_acknowledged() == 3
    assert await redis.xlen(stream) == 0
    await broker.shutdown()


async def test_nothing_is_trimmed_before_a_worker_has_read_it(
    private_redis: str, redis: Redis
) -> None:
    """Jobs sent before any worker made its consumer group are all still to be done."""
    stream = f"voiceqr:test:{uuid.uuid4().hex}"
    await redis.xadd(stream, {b"data": b"{}"})
    broker = redis_stream_broker(private_redis, stream)

    assert await broker.trim_acknowledged() == 0  # the stream, but no group yet
    assert await redis.xlen(stream) == 1
    await broker.startup()  # declares the group, from the start of the stream
    assert await broker.trim_acknowledged() == 0
    assert await redis.xlen(stream) == 1
    await broker.shutdown()


@pytest.mark.postgres
async def test_the_job_stream_stays_short_however_many_generations_are_made(
    fresh_postgres: str,
    private_redis: str,
    redis: Redis,
    tmp_path: Path,
    processes: Processes,  # noqa: F811 - last: stopped first, before the services
) -> None:
    deadline = Deadline(90)
    count = 12
    stream = f"voiceqr:test:{uuid.uuid4().hex}"
    env = clean_environ(
        VOICEQR_DATABASE_URL=fresh_postgres,
        VOICEQR_QUEUE="redis",
        VOICEQR_QUEUE_REDIS_URL=private_redis,
        VOICEQR_QUEUE_STREAM=stream,
        VOICEQR_DATA_DIR=str(tmp_path / "data"),
        VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        VOICEQR_LOG_LEVEL="INFO",
    )
    worker = processes.voiceqr("worker", "worker", env=env)
    platform = build(load(env))
    await platform.start()
    try:
        admin = await platform.accounts.accounts.create_user(
            email="ada@example.com",
            name="Ada",
            password="correct horse battery",
            role=Role.ADMIN,
            actor=OPERATOR,
        )
        await platform.voices.seed(platform.default_voices)
        voice = next(v for v in await platform.voices.list_for(admin) if v.name == "Sam")
        made = [
            await platform.generations.generations.request(
                admin, text=f"Number {n}.", voice_id=voice.id
            )
            for n in range(count)
        ]

        async def all_completed() -> bool:
            current = [
                await platform.generations.generations.get_for_owner(admin, g.id) for g in made
            ]
            return all(g.is_finished for g in current)

        await wait_until_async(
            all_completed,
            timeout=deadline.left(60),
            what=f"the worker to make the {count} generations",
            processes=processes,
            watch=[worker],
        )

        async def trimmed() -> bool:
            return await redis.xlen(stream) == 0

        await wait_until_async(
            trimmed,
            timeout=deadline.left(10),
            what="the worker to trim the acknowledged jobs",
            processes=processes,
            watch=[worker],
        )
        assert isinstance(platform.jobs_broker(), RedisJobStream)
    finally:
        await platform.stop()
    assert "trim of acknowledged jobs" in worker.output()
    assert "Traceback" not in worker.output()
