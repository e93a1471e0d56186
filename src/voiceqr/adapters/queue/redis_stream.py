"""The Redis stream broker: acknowledged delivery to any number of `voiceqr worker`s.

Its own module, imported only when VOICEQR_QUEUE=redis: redis and taskiq-redis are
~0.05 s of a start that the in-process queue does not need.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError
from taskiq import AckableMessage, BrokerMessage
from taskiq_redis import RedisStreamBroker

from voiceqr.adapters.queue.health import Backoff, QueueHealth, describe, redacted

CONSUMER_GROUP = "voiceqr-workers"

log = logging.getLogger(__name__)

# What a lost connection, a restarted (emptied) Redis or a refused command raise.
_QUEUE_ERRORS = (RedisError, OSError)


def redis_stream_broker(url: str, stream: str) -> RedisJobStream:
    """Acknowledged delivery through a Redis stream and a consumer group."""
    return RedisJobStream(url, stream)


class RedisJobStream(RedisStreamBroker):
    """taskiq-redis' stream broker that waits for Redis instead of failing.

    A worker started before Redis, or one that loses it, keeps listening: it retries
    with a bounded backoff, logs one line when the queue goes away and one when it is
    back, and declares its consumer group again (a restarted Redis may have lost it).
    Sends that fail still raise, for the caller to keep the job pending.
    """

    # A listener that stayed up this long starts its backoff again from the first delay.
    STEADY_SECONDS = 30.0

    def __init__(self, url: str, stream: str) -> None:
        super().__init__(
            url=url,
            queue_name=stream,
            consumer_group_name=CONSUMER_GROUP,
            # A group made after jobs were sent (a restarted Redis) still reads them: the
            # stream keeps only what no worker has acknowledged yet (see trimming).
            consumer_id="0",
            # Unacknowledged jobs of a dead worker are claimed again after a minute; the
            # lease in the database decides whether they still need doing.
            idle_timeout=60_000,
            socket_connect_timeout=2,
            # A half-open connection fails a read instead of hanging a worker; above the
            # 2 s a listener blocks on the stream.
            socket_timeout=10,
            socket_keepalive=True,
            # Once more on a fresh connection: after Redis restarts, each pooled
            # connection fails its first command (sends and acknowledgements are
            # idempotent for us: a job delivered twice does nothing the second time).
            retry=Retry(NoBackoff(), 1),
        )
        self.health = QueueHealth(redacted(url), probe=self._ping)

    async def _ping(self) -> None:
        async with Redis(connection_pool=self.connection_pool) as redis:
            await redis.ping()

    async def startup(self) -> None:
        """Start even when Redis does not answer: a worker's listener declares the
        consumer group once it does, and senders keep their jobs pending meanwhile."""
        try:
            await super().startup()
        except _QUEUE_ERRORS as exc:
            if not self.is_worker_process:  # a worker's listener says so, and retries
                self.health.saw_unreachable(
                    exc, then="generations wait as pending until it is back"
                )
        else:
            self.health.saw_reachable()

    async def kick(self, message: BrokerMessage) -> None:
        try:
            await super().kick(message)
        except _QUEUE_ERRORS as exc:
            self.health.saw_unreachable(
                exc, then="generations wait as pending and are sent once it is back"
            )
            raise
        self.health.saw_reachable()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Messages from the stream, across any number of Redis outages."""
        delays = Backoff()
        while True:
            connected_at: float | None = None
            try:
                await self._declare_consumer_group()
                connected_at = time.monotonic()
                self.health.saw_reachable()
                async with aclosing(super().listen()) as messages:
                    async for message in messages:
                        yield message
            except _QUEUE_ERRORS as exc:
                if connected_at is not None and (
                    time.monotonic() - connected_at >= self.STEADY_SECONDS
                ):
                    delays.reset()
                delay = delays.next()
                self.health.saw_unreachable(exc, then=f"retrying in {delay:.1f} s")
                await asyncio.sleep(delay)
            except Exception:  # not the connection: say so, and do not spin on it
                delay = delays.next()
                log.exception("reading the job stream failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        ack = super()._ack_generator(id, queue_name)

        async def ack_or_leave_it() -> None:
            try:
                await ack()
            except _QUEUE_ERRORS as exc:
                # Delivered again later, and then a no-op: the database knows it is done.
                entry = id.decode() if isinstance(id, bytes) else id
                log.warning(
                    "job %s not acknowledged (%s); it may be delivered again", entry, describe(exc)
                )

        return ack_or_leave_it

    async def trim_acknowledged(self) -> int:
        """Delete the entries every consumer group has acknowledged; returns how many.

        The cut is each group's oldest entry still unacknowledged or, when it holds
        none, the one after the last it was given; the lowest cut of all groups wins.
        Nothing a worker holds or has not read yet is ever before the cut: entries are
        given out in order, and an entry leaves the pending list only when acknowledged.
        Reading and trimming are two commands; whatever happens between them only moves
        the true cut further on, so the one used is never too far.
        """
        try:
            return await self._trim_acknowledged()
        except ResponseError:
            raise
        except _QUEUE_ERRORS as exc:  # nothing to trim that cannot wait for the next time
            self.health.saw_unreachable(exc)
            return 0

    async def _trim_acknowledged(self) -> int:
        async with Redis(connection_pool=self.connection_pool) as redis:
            try:
                groups = await redis.xinfo_groups(self.queue_name)
            except ResponseError:  # no stream yet
                return 0
            if not groups:
                return 0  # nobody reads it yet: all of it is still to be done
            cuts = []
            for group in groups:
                if group["pending"]:
                    summary = await redis.xpending(self.queue_name, group["name"])
                    cuts.append(_entry_id(summary["min"]))
                else:
                    ms, seq = _entry_id(group["last-delivered-id"])
                    cuts.append((ms, seq + 1))
            ms, seq = min(cuts)
            trimmed: int = await redis.xtrim(
                self.queue_name, minid=f"{ms}-{seq}", approximate=False
            )
            return trimmed


def _entry_id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)
