"""Taskiq brokers and the generation queue on top of them.

The broker only wakes workers up; the database says what is to be done. Jobs carry
a generation id and nothing else.
"""

from __future__ import annotations

from uuid import UUID

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

PROCESS_GENERATION = "voiceqr.process_generation"


def memory_broker() -> AsyncBroker:
    """Runs each job as a task in this process, right after it is sent."""
    return InMemoryBroker(await_inplace=False)


def redis_stream_broker(url: str, stream: str) -> AsyncBroker:
    """Acknowledged delivery through a Redis stream and a consumer group."""
    return RedisStreamBroker(
        url=url,
        queue_name=stream,
        consumer_group_name="voiceqr-workers",
        # Unacknowledged jobs of a dead worker are claimed again after a minute; the
        # lease in the database decides whether they still need doing.
        idle_timeout=60_000,
        socket_connect_timeout=2,
    )


class TaskiqGenerationQueue:
    """Sends `process_generation(<id>)` through the broker."""

    def __init__(self, broker: AsyncBroker) -> None:
        self._kicker: AsyncKicker[[str], None] = AsyncKicker(
            task_name=PROCESS_GENERATION, broker=broker, labels={}
        )

    async def enqueue(self, generation_id: UUID) -> None:
        await self._kicker.kiq(str(generation_id))
