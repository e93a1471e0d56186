"""Background work on fakes: jobs leave only after their transaction commits, and each
periodic job runs once per period however many workers race for it."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fakes import START, FakeClock
from tests.unit.fakes.generations import FakeQueue
from tests.unit.fakes.shared import FakeScheduleClaims
from tests.unit.fakes.unit_of_work import FakeUnitOfWorkFactory
from voiceqr.application.account_data.deletion import DELETE_ACCOUNT
from voiceqr.application.account_data.export import EXPORT_ACCOUNT
from voiceqr.application.generations.generations import PROCESS_GENERATION
from voiceqr.application.generations.previews import PROCESS_PREVIEW
from voiceqr.application.shared.jobs import AfterCommit, Schedule, Scheduler
from voiceqr.bootstrap import Adapters, build
from voiceqr.entrypoints.worker import main as worker_main
from voiceqr.entrypoints.worker import registry
from voiceqr.settings import Jobs, Settings

# --- enqueue after commit ------------------------------------------------------------


async def test_jobs_asked_for_in_a_transaction_go_out_in_order_once_it_commits() -> None:
    queue, uow = FakeQueue(), FakeUnitOfWorkFactory()
    jobs = AfterCommit(queue)
    async with uow() as unit:
        jobs.enqueue("voiceqr.one", "a")
        jobs.enqueue("voiceqr.two", "b", "c")
        assert queue.jobs == []  # nothing leaves while the transaction is open
        await jobs.commit(unit)
        assert queue.jobs == []

    assert await jobs.send() == 2
    assert queue.jobs == [("voiceqr.one", ("a",)), ("voiceqr.two", ("b", "c"))]
    assert jobs.refused is None
    assert await jobs.send() == 0  # sent once


async def test_a_transaction_that_rolls_back_sends_nothing() -> None:
    queue, uow = FakeQueue(), FakeUnitOfWorkFactory()
    jobs = AfterCommit(queue)

    async def refused_half_way() -> None:
        async with uow():
            jobs.enqueue("voiceqr.one", "a")
            raise RuntimeError("the use case refused half-way")

    with pytest.raises(RuntimeError):
        await refused_half_way()

    assert await jobs.send() == 0
    assert queue.jobs == []


async def test_a_transaction_left_without_a_commit_sends_nothing() -> None:
    queue, uow = FakeQueue(), FakeUnitOfWorkFactory()
    jobs = AfterCommit(queue)
    async with uow():
        jobs.enqueue("voiceqr.one", "a")

    assert await jobs.send() == 0
    assert queue.jobs == []


async def test_a_broker_that_refuses_stops_the_sending_and_says_why() -> None:
    queue, uow = FakeQueue(), FakeUnitOfWorkFactory()
    queue.down = True
    jobs = AfterCommit(queue)
    async with uow() as unit:
        jobs.enqueue("voiceqr.one", "a")
        jobs.enqueue("voiceqr.one", "b")
        await jobs.commit(unit)

    assert await jobs.send() == 0
    assert isinstance(jobs.refused, ConnectionError)
    assert queue.jobs == []


# --- the scheduler -------------------------------------------------------------------


def counting(
    name: str, every: float, runs: dict[str, list[datetime]], clock: FakeClock
) -> Schedule:
    async def run() -> int:
        runs[name].append(clock())
        return 1

    return Schedule(name, timedelta(seconds=every), run)


def greedy(times: list[datetime], every: timedelta) -> list[datetime]:
    """When a job must run, given when the workers look: at the first look, then at
    the first look a full period after the last run."""
    ran: list[datetime] = []
    for time in times:
        if not ran or time >= ran[-1] + every:
            ran.append(time)
    return ran


@settings(max_examples=150, deadline=None)
@given(
    looks=st.lists(
        st.lists(st.integers(min_value=0, max_value=600), max_size=25), min_size=1, max_size=5
    ),
    periods=st.tuples(st.integers(1, 60), st.integers(1, 200)),
)
def test_racing_workers_run_each_job_once_per_period(
    looks: list[list[int]], periods: tuple[int, int]
) -> None:
    """Any number of workers, each looking at its own moments (several at once at the
    same moment): each job runs at the first look and then once per period, never
    twice within one."""
    clock = FakeClock()
    claims = FakeScheduleClaims()
    runs: dict[str, list[datetime]] = defaultdict(list)
    workers = [
        Scheduler(
            claims,
            [
                counting("often", periods[0], runs, clock),
                counting("rarely", periods[1], runs, clock),
            ],
            clock=clock,
        )
        for _ in looks
    ]
    moments: dict[int, list[Scheduler]] = defaultdict(list)
    for worker, seconds in zip(workers, looks, strict=True):
        for second in set(seconds):
            moments[second].append(worker)

    async def race() -> None:
        for second in sorted(moments):
            clock.set(START + timedelta(seconds=second))
            await asyncio.gather(*(worker.run_due() for worker in moments[second]))

    asyncio.run(race())

    times = [START + timedelta(seconds=second) for second in sorted(moments)]
    assert runs["often"] == greedy(times, timedelta(seconds=periods[0]))
    assert runs["rarely"] == greedy(times, timedelta(seconds=periods[1]))


async def test_a_failing_job_is_logged_and_retried_next_period_while_the_others_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = FakeClock()
    runs: dict[str, list[datetime]] = defaultdict(list)

    async def broken() -> int:
        raise ConnectionError("the mail server hung up")

    scheduler = Scheduler(
        FakeScheduleClaims(),
        [
            Schedule("mail delivery", timedelta(seconds=10), broken),
            counting("sweep", 10, runs, clock),
        ],
        clock=clock,
    )

    assert await scheduler.run_due() == ["mail delivery", "sweep"]
    assert "mail delivery failed" in caplog.text
    assert "sweep: 1 done" in caplog.text
    assert await scheduler.run_due() == []  # within the period
    clock.advance(10)
    assert await scheduler.run_due() == ["mail delivery", "sweep"]


# --- the registry --------------------------------------------------------------------


def test_every_feature_hands_its_work_to_the_worker(tmp_path: Path) -> None:
    platform = build(
        Settings(data_dir=str(tmp_path), jobs=Jobs(sweep_interval_seconds=7)),
        Adapters(schedule_claims=FakeScheduleClaims()),
    )

    assert list(registry.tasks(platform)) == [
        DELETE_ACCOUNT,
        EXPORT_ACCOUNT,
        PROCESS_GENERATION,
        PROCESS_PREVIEW,
    ]
    # Mail delivery comes last, after the alert check: an alert goes out on the pass it fires.
    assert [(s.name, s.every.total_seconds()) for s in registry.schedules(platform)] == [
        ("account deletion sweep", 7),
        ("account export sweep", 7),
        ("login activity clean-up", 3600),
        ("analytics roll-up", 900),
        ("sweep", 7),
        ("daily failure digest", 86400),
        ("weekly scans summary", 604800),
        ("moderation escalation", 900),
        ("failure-rate alert check", 7),
        ("visitor salts", 3600),
        ("preview sweep", 7),
        ("preview expiry", 3600),
        ("trim of acknowledged jobs", 7),
        ("close resolved tickets", 3600),
        ("mail delivery", 7),
    ]


async def test_a_part_that_will_not_stop_is_named_with_where_it_waits_and_the_stop_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_main, "STOP_SECONDS", 0.05)
    release = asyncio.Event()

    async def swallows_one_cancel() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await release.wait()

    async def stops() -> None:
        await asyncio.sleep(3600)

    stuck, polite = asyncio.create_task(swallows_one_cancel()), asyncio.create_task(stops())
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger=worker_main.__name__):
        async with asyncio.timeout(2):
            await worker_main._stop_tasks({"consumers": stuck, "jobs": polite})

    assert polite.cancelled()
    assert not stuck.done()
    (warning,) = [r.getMessage() for r in caplog.records if "still running" in r.getMessage()]
    assert warning.startswith("worker stopping: consumers still running")
    assert "swallows_one_cancel" in warning  # where it waits
    release.set()
    await stuck
