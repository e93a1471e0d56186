"""Failure monitoring on fakes (F6): failures by category over time, the current rate,
and the alert to administrators with its threshold, minimum and cooldown."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import START, Services, make_services
from voiceqr.domain.accounts.users import Role, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.operations.failure_monitoring import (
    AlertPolicy,
    AttemptCount,
    FailureRate,
    StatsWindow,
    group_into_buckets,
)
from voiceqr.domain.shared.errors import ErrorCategory, PermissionDenied
from voiceqr.domain.shared.ids import uuid7


@pytest.fixture
def s() -> Services:
    return make_services()


def finish(
    s: Services,
    outcome: AttemptOutcome,
    category: ErrorCategory | None = None,
    *,
    count: int = 1,
    at: datetime | None = None,
) -> None:
    """`count` attempts that finished at `at` (default: now) with `outcome`."""
    finished_at = at or s.clock()
    for _ in range(count):
        attempt = GenerationAttempt(
            id=uuid7(),
            generation_id=uuid7(),
            number=1,
            started_at=finished_at - timedelta(seconds=5),
            finished_at=finished_at,
            outcome=outcome,
            error_category=category,
            error_code=None if category is None else "some_code",
        )
        s.db.generation_attempts[attempt.id] = attempt


def alert_mail(s: Services) -> list[OutboxMessage]:
    return [m for m in s.db.outbox.values() if m.kind == "failure_rate_alert"]


# --- the dashboard's numbers ------------------------------------------------------------


async def test_failures_are_counted_by_category_per_hour_over_a_day(s: Services) -> None:
    s.clock.set(START.replace(hour=15, minute=40))
    two_hours_ago = s.clock() - timedelta(hours=2)
    finish(s, AttemptOutcome.COMPLETED, count=6, at=two_hours_ago)
    finish(s, AttemptOutcome.RETRY_SCHEDULED, ErrorCategory.PROVIDER, count=3, at=two_hours_ago)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.QUOTA, at=two_hours_ago)
    finish(s, AttemptOutcome.WORKER_LOST, None, count=2)  # no category stored
    finish(s, AttemptOutcome.FAILED, ErrorCategory.QUOTA, at=s.clock() - timedelta(days=2))

    stats = await s.failure_monitor.stats(OPERATOR, window=StatsWindow.DAY)

    assert len(stats.buckets) == 25  # the hour of 24 h ago through the current hour
    assert stats.buckets[0].start == START.replace(hour=15) - timedelta(days=1)
    assert stats.buckets[-1].start == START.replace(hour=15)
    by_start = {b.start: b for b in stats.buckets}
    earlier = by_start[START.replace(hour=13)]
    assert earlier.finished == 10
    assert earlier.failed_by_category == {"provider": 3, "quota": 1}
    assert by_start[START.replace(hour=15)].failed_by_category == {"unknown": 2}
    assert stats.finished == 12
    assert stats.failed == 6  # the one two days ago is outside the window
    assert stats.by_category == {"provider": 3, "unknown": 2, "quota": 1}
    assert stats.categories == ["provider", "unknown", "quota"]


async def test_a_week_is_counted_per_day(s: Services) -> None:
    finish(s, AttemptOutcome.FAILED, ErrorCategory.STORAGE, at=s.clock() - timedelta(days=3))
    finish(s, AttemptOutcome.COMPLETED, at=s.clock() - timedelta(days=3))

    stats = await s.failure_monitor.stats(OPERATOR, window=StatsWindow.WEEK)

    assert len(stats.buckets) == 8
    assert all(b.start.hour == 0 for b in stats.buckets)
    three_days_ago = next(b for b in stats.buckets if b.failed)
    assert three_days_ago.start == (s.clock() - timedelta(days=3)).replace(hour=0)
    assert (three_days_ago.finished, three_days_ago.failed) == (2, 1)


async def test_the_current_rate_looks_at_the_alert_window_only(s: Services) -> None:
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=5)
    finish(s, AttemptOutcome.COMPLETED, count=15)
    finish(
        s,
        AttemptOutcome.FAILED,
        ErrorCategory.PROVIDER,
        count=9,
        at=s.clock() - timedelta(minutes=16),
    )

    stats = await s.failure_monitor.stats(OPERATOR)

    assert (stats.current.failed, stats.current.finished) == (5, 20)
    assert stats.current.rate == 0.25
    assert stats.over_threshold
    assert stats.last_alert_at is None


async def test_cancels_by_an_administrator_are_neither_attempts_nor_failures(
    s: Services,
) -> None:
    finish(s, AttemptOutcome.CANCELLED, ErrorCategory.SYSTEM, count=12)
    finish(s, AttemptOutcome.COMPLETED, count=10)

    stats = await s.failure_monitor.stats(OPERATOR)

    assert (stats.current.failed, stats.current.finished) == (0, 10)
    assert stats.by_category == {}
    await s.failure_monitor.check_alert()
    assert alert_mail(s) == []


async def test_only_admins_see_the_failure_numbers(s: Services) -> None:
    user = s.add_user()
    with pytest.raises(PermissionDenied):
        await s.failure_monitor.stats(user)
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    assert (await s.failure_monitor.stats(admin)).failed == 0


# --- the alert ----------------------------------------------------------------------------


async def test_a_breach_mails_every_active_admin_once_and_logs_an_error(
    s: Services, caplog: pytest.LogCaptureFixture
) -> None:
    s.add_user("root@example.com", role=Role.ADMIN, name="Root")
    s.add_user("ops@example.com", role=Role.ADMIN, name="Ops")
    gone = s.add_user("gone@example.com", role=Role.ADMIN)
    gone.status = UserStatus.DISABLED
    s.db.put_user(gone)
    s.add_user("new@example.com", role=Role.ADMIN, verified=False)
    s.add_user("ann@example.com")  # not an admin
    finish(s, AttemptOutcome.RETRY_SCHEDULED, ErrorCategory.PROVIDER, count=6)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.QUOTA, count=2)
    finish(s, AttemptOutcome.COMPLETED, count=12)

    with caplog.at_level(logging.INFO, logger="voiceqr.application.operations.failure_monitoring"):
        assert await s.failure_monitor.check_alert() == 1

    mails = alert_mail(s)
    assert sorted(m.to for m in mails) == ["ops@example.com", "root@example.com"]
    text = mails[0].text
    assert "8 of the 20 generation attempts" in text
    assert "(40%; the alert threshold is 20%)" in text
    assert "provider (6), quota (2)" in text
    assert "https://voiceqr.test/admin" in text
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.__dict__["failed"] == 8
    assert record.__dict__["finished"] == 20
    assert record.__dict__["rate"] == 0.4
    assert record.__dict__["admins_mailed"] == 2
    assert (await s.failure_monitor.stats(OPERATOR)).last_alert_at == s.clock()


async def test_no_second_alert_until_the_cooldown_is_over(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20)
    assert await s.failure_monitor.check_alert() == 1

    s.clock.advance(minutes=59)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20)
    assert await s.failure_monitor.check_alert() == 0
    assert len(alert_mail(s)) == 1

    s.clock.advance(minutes=1)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20)
    assert await s.failure_monitor.check_alert() == 1
    assert len(alert_mail(s)) == 2


async def test_few_attempts_never_alert_even_if_all_failed(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=19)

    assert await s.failure_monitor.check_alert() == 0
    assert alert_mail(s) == []
    assert s.db.alert_states == {}


async def test_a_rate_at_the_threshold_does_not_alert_one_above_does(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=4)
    finish(s, AttemptOutcome.COMPLETED, count=16)
    assert await s.failure_monitor.check_alert() == 0

    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER)
    assert await s.failure_monitor.check_alert() == 1


async def test_failures_outside_the_window_do_not_count(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(
        s,
        AttemptOutcome.FAILED,
        ErrorCategory.PROVIDER,
        count=30,
        at=s.clock() - timedelta(minutes=15, seconds=1),
    )
    assert await s.failure_monitor.check_alert() == 0


async def test_the_alert_and_its_mail_are_saved_together_or_not_at_all(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20)
    s.uow.fail_commits = 1

    with pytest.raises(ConnectionError):
        await s.failure_monitor.check_alert()
    assert alert_mail(s) == []
    assert s.db.alert_states == {}

    assert await s.failure_monitor.check_alert() == 1  # the next sweep tries again
    assert len(alert_mail(s)) == 1


def test_a_policy_out_of_range_is_refused() -> None:
    from voiceqr.domain.shared.errors import ValidationError

    with pytest.raises(ValidationError):
        AlertPolicy(threshold=1.5)
    with pytest.raises(ValidationError):
        AlertPolicy(min_attempts=0)


@given(
    finished=st.integers(min_value=0, max_value=500),
    share=st.floats(min_value=0, max_value=1),
    threshold=st.floats(min_value=0, max_value=1),
    min_attempts=st.integers(min_value=1, max_value=100),
)
def test_the_alert_needs_enough_attempts_and_a_rate_above_the_threshold(
    finished: int, share: float, threshold: float, min_attempts: int
) -> None:
    failed = round(finished * share)
    rate = FailureRate(since=START, finished=finished, failed=failed)
    policy = AlertPolicy(threshold=threshold, min_attempts=min_attempts)
    expected = finished >= min_attempts and failed / finished > threshold
    assert policy.breached(rate) is expected


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=30),
            st.sampled_from(["completed", "failed", "retry_scheduled", "worker_lost"]),
            st.sampled_from([None, "provider", "quota"]),
            st.integers(min_value=1, max_value=9),
        ),
        max_size=40,
    )
)
def test_bucketing_keeps_every_count_inside_the_window(
    rows: list[tuple[int, str, str | None, int]],
) -> None:
    starts = StatsWindow.DAY.buckets(START)
    counts = [
        AttemptCount(START.replace(minute=0) + timedelta(hours=h), outcome, category, n)
        for h, outcome, category, n in rows
    ]
    buckets = group_into_buckets(counts, starts)
    inside = [c for c in counts if starts[0] <= c.bucket <= starts[-1]]
    assert [b.start for b in buckets] == starts
    assert sum(b.finished for b in buckets) == sum(c.count for c in inside)
    assert sum(b.failed for b in buckets) == sum(
        c.count for c in inside if c.outcome != "completed"
    )


async def test_the_alert_subject_gives_the_rate_itself(s: Services) -> None:
    s.add_user("root@example.com", role=Role.ADMIN)
    finish(s, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20)

    await s.failure_monitor.check_alert()

    [mail] = alert_mail(s)
    assert "{" not in mail.subject
    assert mail.subject == "voiceqr alert: 100% of generation attempts are failing"
