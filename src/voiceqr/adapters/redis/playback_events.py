"""The playback event log in production: a Redis stream.

The page's event is in Redis before the page is answered, so a web process killed
outright loses nothing it answered. The events of the requests waiting at the same
moment go in one XADD together, as one stream entry (a group commit: one round trip
for many scans, one at a time, so a busy process sends bigger batches, not more).
Workers read the stream as one consumer group, `entries` at a time; what was read is
acknowledged and deleted only once the database has stored it, so a worker killed
mid-batch leaves it pending, and another worker claims it after `claim_after` seconds.
Storing is idempotent (event ids), so a batch stored twice is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from voiceqr.application.playback.ports import StoreEvents
from voiceqr.domain.playback.events import PlaybackEvent

GROUP = "voiceqr-playback"
_FIRST_PAUSE, _LONGEST_PAUSE = 1.0, 30.0  # seconds between tries while Redis is away
log = logging.getLogger(__name__)


class RedisPlaybackEvents:
    def __init__(
        self,
        client: Redis,
        *,
        stream: str,
        entries: int = 50,
        block_seconds: float = 1.0,
        claim_after: float = 60.0,
    ) -> None:
        self._redis = client
        self._stream = stream
        self._entries = entries
        self._block_ms = int(block_seconds * 1000)
        self._claim_after_ms = int(claim_after * 1000)
        self._consumer = f"{socket.gethostname()}-{os.getpid()}"
        self._encode = msgspec.json.Encoder().encode
        self._decode = msgspec.json.Decoder(list[PlaybackEvent]).decode
        self._waiting: list[PlaybackEvent] = []
        self._sent: asyncio.Future[None] | None = None  # when the waiting ones are in
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    async def append(self, event: PlaybackEvent) -> None:
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_forever())
        if self._sent is None:
            self._sent = asyncio.get_running_loop().create_future()
        self._waiting.append(event)
        sent = self._sent
        self._wake.set()
        await asyncio.shield(sent)

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender

    async def _send_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, sent = self._waiting, self._sent
            self._waiting, self._sent = [], None
            if sent is None:
                continue
            try:
                await self._redis.xadd(self._stream, {"e": self._encode(batch)})
            except Exception as exc:
                # The page is still shown; these scans are not counted. One line a batch.
                log.warning("playback events lost: %d (Redis refused them: %s)", len(batch), exc)
            sent.set_result(None)

    async def drain(self, store: StoreEvents) -> None:
        joined, away, pause = False, False, _FIRST_PAUSE
        while True:
            try:
                if not joined:
                    await self._join_group()
                    joined = True
                await self._hand_over(store)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                _stop_if_cancelled()  # redis-py may report a cancelled read this way
                # What was read stays pending and is read again once Redis is back.
                if not away:
                    log.warning("playback events wait: Redis is unreachable (%s)", exc)
                    away = True
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                # Redis came back empty (it keeps nothing on disk): make the group again.
                log.warning("playback events: the stream's group is gone; making it again")
                joined = False
                continue
            except Exception:
                _stop_if_cancelled()
                log.exception("playback events not stored yet; trying again")
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            if away:
                log.warning("playback events: Redis is back")
                away = False
            pause = _FIRST_PAUSE

    async def _hand_over(self, store: StoreEvents) -> None:
        # What this consumer read but did not store, then what others left behind,
        # then what is new.
        entries = await self._read("0") or await self._claim() or await self._read(">")
        if not entries:
            return
        await store([event for _, fields in entries for event in self._decode(fields[b"e"])])
        ids = [entry_id for entry_id, _ in entries]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, GROUP, *ids)
            pipe.xdel(self._stream, *ids)
            await pipe.execute()

    async def _join_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)

    async def _read(self, start: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        block = self._block_ms if start == ">" else None
        answer: Any = await self._redis.xreadgroup(
            GROUP, self._consumer, {self._stream: start}, count=self._entries, block=block
        )
        return [e for _, entries in answer or [] for e in entries if e[1]]

    async def _claim(self) -> list[tuple[bytes, dict[bytes, bytes]]]:
        answer: Any = await self._redis.xautoclaim(
            self._stream, GROUP, self._consumer, self._claim_after_ms, count=self._entries
        )
        return [e for e in answer[1] if e[1]]


def _stop_if_cancelled() -> None:
    """Let a stop through: a cancellation that reached a Redis call can come out as a
    connection error, and retrying then would keep a stopped worker running for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
