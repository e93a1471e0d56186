"""Whether the job queue answers, as this process last saw it, and how long to wait
before trying it again.

Each process keeps its own view, fed by what it does anyway (every send, a worker's
connection to the stream) and, when that view is older than its reader allows, by one
PING. Nothing is written anywhere, so reading it costs nothing beyond that PING. A
change of state is logged once, in one line; repeated failures are not.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class QueueState:
    """`reachable`, or not and why (the error as the queue client put it)."""

    reachable: bool
    reason: str | None = None


REACHABLE = QueueState(reachable=True)


class QueueHealth:
    """What this process knows of the queue at `where` (a URL without its password)."""

    def __init__(
        self,
        where: str,
        *,
        probe: Probe | None = None,
        probe_timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self._probe = probe
        self._probe_timeout = probe_timeout
        self._clock = clock
        self._state = REACHABLE  # assumed until something says otherwise
        self._known = asyncio.Event()
        if probe is None:  # nothing to reach: known to answer
            self._known.set()
        self._seen_at = -float("inf")
        self._down_since: float | None = None

    @classmethod
    def in_process(cls) -> QueueHealth:
        """The in-process queue: nothing to reach, so it never goes away."""
        return cls("the in-process queue")

    @property
    def state(self) -> QueueState:
        """The last state seen, without asking the queue (reachable until one is)."""
        return self._state

    @property
    def known(self) -> bool:
        """Whether anything was seen yet (a send, a listener, a PING)."""
        return self._known.is_set()

    async def wait_known(self) -> None:
        """Until something is seen (a worker's sweeper waits for its listener's word)."""
        await self._known.wait()

    def saw_reachable(self) -> None:
        """The queue just answered."""
        self._seen_at = self._clock()
        if not self._state.reachable:
            down_for = self._seen_at - (self._down_since or self._seen_at)
            log.warning("queue reachable again at %s (after %.0f s)", self.where, down_for)
        self._state, self._down_since = REACHABLE, None
        self._known.set()

    def saw_unreachable(self, error: BaseException, *, then: str | None = None) -> None:
        """The queue just failed with `error`; `then` says what happens next (logged)."""
        self._seen_at = self._clock()
        reason = describe(error)
        if self._state.reachable:  # and when nothing was known: the first word on it
            log.warning(
                "queue unreachable at %s: %s%s", self.where, reason, f"; {then}" if then else ""
            )
            self._down_since = self._seen_at
        else:
            log.debug("queue still unreachable at %s: %s", self.where, reason)
        self._state = QueueState(reachable=False, reason=reason)
        self._known.set()

    async def check(self, *, max_age: float) -> QueueState:
        """The state, asking the queue (one PING, bounded in time) only when what this
        process last saw is older than `max_age` seconds."""
        if self._probe is None or self._clock() - self._seen_at < max_age:
            return self._state
        # Callers arriving during the PING take the last state rather than a PING each.
        self._seen_at = self._clock()
        try:
            async with asyncio.timeout(self._probe_timeout):
                await self._probe()
        except TimeoutError:
            self.saw_unreachable(TimeoutError(f"no answer within {self._probe_timeout:g} s"))
        except Exception as exc:
            self.saw_unreachable(exc)
        else:
            self.saw_reachable()
        return self._state


def describe(error: BaseException) -> str:
    """One line for an error: its message, or its kind when it has none."""
    if error.__cause__ is not None and type(error).__module__.startswith("taskiq"):
        error = error.__cause__  # "Cannot send task to the queue" says less than its cause
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


def redacted(url: str) -> str:
    """The URL without its password, fit for logs and probes."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + host))


class Backoff:
    """Delays between attempts: `first` seconds, doubling up to `cap`, each one spread by
    +/- `jitter` (a fraction) so that many workers do not retry in step."""

    def __init__(
        self,
        *,
        first: float = 1.0,
        cap: float = 30.0,
        jitter: float = 0.2,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.first, self.cap, self.jitter = first, cap, jitter
        self._rng = rng
        self._failures = 0

    def next(self) -> float:
        """The delay before the next attempt (one more failure counted)."""
        raw = min(self.cap, self.first * 2.0 ** min(self._failures, 64))
        self._failures += 1
        spread = (2 * self._rng() - 1) * self.jitter
        return min(self.cap, raw * (1 + spread))

    def reset(self) -> None:
        self._failures = 0
