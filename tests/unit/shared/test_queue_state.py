"""What a process knows of the job queue, and how long it waits before trying it again."""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.exceptions import ConnectionError as RedisConnectionError
from taskiq.exceptions import SendTaskError

from voiceqr.adapters.queue.health import Backoff, QueueHealth, describe, redacted

REFUSED = RedisConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
WHERE = "redis://127.0.0.1:6390/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Probe:
    """A PING that answers, or fails with `error`; counts its calls."""

    def __init__(self) -> None:
        self.error: Exception | None = None
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error


def queue_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "voiceqr.adapters.queue.health"]


def test_a_queue_that_goes_away_is_reported_once_with_its_reason_and_what_happens_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    health = QueueHealth(WHERE, probe=Probe())

    health.saw_unreachable(REFUSED, then="retrying in 1.0 s")
    health.saw_unreachable(REFUSED, then="retrying in 2.0 s")
    health.saw_unreachable(REFUSED, then="retrying in 4.0 s")

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"queue unreachable at {WHERE}: Error 111 connecting to 127.0.0.1:6390. "
        "Connection refused; retrying in 1.0 s"
    ]
    assert all(r.exc_info is None for r in caplog.records), "a line, not a traceback"
    assert health.state.reachable is False
    assert health.state.reason == "Error 111 connecting to 127.0.0.1:6390. Connection refused"


def test_a_queue_that_comes_back_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = Clock()
    health = QueueHealth(WHERE, probe=Probe(), clock=clock)
    health.saw_unreachable(REFUSED)
    clock.now += 12
    caplog.clear()

    health.saw_reachable()
    health.saw_reachable()

    assert queue_lines(caplog) == [f"queue reachable again at {WHERE} (after 12 s)"]
    assert health.state.reachable
    assert health.state.reason is None


def test_a_queue_that_answers_from_the_start_says_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    health = QueueHealth(WHERE, probe=Probe())
    assert not health.known

    health.saw_reachable()

    assert health.known
    assert queue_lines(caplog) == []


async def test_the_queue_is_asked_again_only_when_what_was_seen_is_too_old() -> None:
    clock = Clock()
    probe = Probe()
    health = QueueHealth(WHERE, probe=probe, clock=clock)

    assert (await health.check(max_age=5)).reachable  # nothing seen yet: asked
    assert probe.calls == 1
    probe.error = REFUSED
    clock.now += 4
    assert (await health.check(max_age=5)).reachable  # 4 s old: not asked
    assert probe.calls == 1
    clock.now += 2
    state = await health.check(max_age=5)
    assert (state.reachable, probe.calls) == (False, 2)
    assert state.reason == "Error 111 connecting to 127.0.0.1:6390. Connection refused"

    probe.error = None
    health.saw_reachable()  # a send that went through is as good as a PING
    assert (await health.check(max_age=5)).reachable
    assert probe.calls == 2


async def test_a_queue_that_does_not_answer_in_time_is_unreachable() -> None:
    async def hangs() -> None:
        await asyncio.sleep(10)

    health = QueueHealth(WHERE, probe=hangs, probe_timeout=0.05)

    state = await health.check(max_age=0)

    assert not state.reachable
    assert state.reason == "no answer within 0.05 s"


async def test_the_in_process_queue_is_always_there() -> None:
    health = QueueHealth.in_process()

    assert health.known
    assert (await health.check(max_age=0)).reachable


def test_a_failed_send_is_described_by_what_it_wraps() -> None:
    wrapped = SendTaskError()
    wrapped.__cause__ = REFUSED

    assert describe(wrapped) == "Error 111 connecting to 127.0.0.1:6390. Connection refused"
    assert describe(TimeoutError()) == "TimeoutError"


def test_queue_addresses_are_logged_without_their_password() -> None:
    assert redacted("redis://:s3cret@queue.internal:6379/0") == "redis://:***@queue.internal:6379/0"
    assert redacted("redis://worker:s3cret@10.0.0.5/2") == "redis://worker:***@10.0.0.5/2"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"


def test_retries_start_at_one_second_and_double_up_to_thirty() -> None:
    middle = Backoff(rng=lambda: 0.5)  # no jitter

    assert [middle.next() for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    middle.reset()
    assert middle.next() == 1


@given(
    failures=st.integers(min_value=1, max_value=200),
    spreads=st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), min_size=1),
)
def test_every_retry_delay_is_bounded_and_jittered_around_its_step(
    failures: int, spreads: list[float]
) -> None:
    draws = iter(spreads * (failures // len(spreads) + 1))
    backoff = Backoff(rng=lambda: next(draws))

    for n in range(failures):
        step = min(30.0, 2.0**n)
        delay = backoff.next()
        assert 0.8 * step <= delay <= min(30.0, 1.2 * step)
