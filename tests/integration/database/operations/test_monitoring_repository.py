"""The SQL audit log (O11), failure statistics and alert states (F6), and the
failure-rate alert on them, unchanged on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from tests.unit.fakes import FakeClock
from voiceqr.adapters.database import accounts
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.mail.unsubscribe import UnsubscribeTokens
from voiceqr.application.operations.audit import AuditTrail
from voiceqr.application.operations.failure_monitoring import FailureMonitor
from voiceqr.application.shared.audit import record
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt
from voiceqr.domain.generations.generation import Generation, new_public_code
from voiceqr.domain.operations.audit import AuditPosition
from voiceqr.domain.operations.failure_monitoring import AlertPolicy, StatsWindow
from voiceqr.domain.shared.errors import ErrorCategory
from voiceqr.domain.shared.ids import uuid7

# Far from the wall clock: nothing else in the database finished near it.
NOW = datetime(2031, 6, 14, 15, 9, 26, 535897, tzinfo=UTC)


TOKENS = UnsubscribeTokens(lambda: "a test secret that is long enough!!")


async def add_user(
    uows: SqlUnitOfWorkFactory, email: str = "", role: Role = Role.USER, *, verified: bool = True
) -> User:
    user_id = uuid7()
    user = User(
        id=user_id,
        email=email or f"{user_id.hex}@example.com",
        name="Ada",
        password_hash=None,
        role=role,
        created_at=NOW,
        email_verified_at=NOW if verified else None,
    )
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_attempts(
    uows: SqlUnitOfWorkFactory,
    owner: User,
    outcome: AttemptOutcome,
    category: ErrorCategory | None = None,
    *,
    count: int = 1,
    at: datetime = NOW,
) -> None:
    """`count` generations, each with one attempt that finished at `at` with `outcome`."""
    async with uows() as uow:
        for _ in range(count):
            generation = Generation(
                id=uuid7(),
                owner_id=owner.id,
                voice_id=uuid7(),
                text="Room 4",
                public_code=new_public_code(),
                created_at=at,
            )
            await uow.generations.add(generation)
            await uow.generation_attempts.add(
                GenerationAttempt(
                    id=uuid7(),
                    generation_id=generation.id,
                    number=1,
                    started_at=at - timedelta(seconds=3),
                    finished_at=at,
                    outcome=outcome,
                    error_category=category,
                    error_code=None if category is None else "some_code",
                )
            )
        await uow.commit()


# --- audit log ------------------------------------------------------------------------------


async def test_audit_entries_round_trip_newest_first_with_keyset_paging(
    uows: SqlUnitOfWorkFactory,
) -> None:
    admin = await add_user(uows, "root@example.com", Role.ADMIN)
    async with uows() as uow:
        for i in range(5):
            await record(
                uow,
                admin if i % 2 else OPERATOR,
                "generation.retry" if i < 3 else "user.lock",
                target=("generation", f"g{i}"),
                now=NOW + timedelta(seconds=i // 2),  # pairs share a time: the id breaks ties
                ip="203.0.113.9",
                details={"failure": "quota/quota_exceeded", "n": i, "nested": {"ok": True}},
            )
        await uow.commit()

    async with uows() as uow:
        everything = await uow.audit.list(limit=10)
        assert [e.target_id for e in everything] == ["g4", "g3", "g2", "g1", "g0"]
        first = everything[1]
        assert (first.actor_id, first.actor) == (admin.id, "root@example.com")
        assert first.occurred_at == NOW + timedelta(seconds=1)
        assert first.details == {"failure": "quota/quota_exceeded", "n": 3, "nested": {"ok": True}}
        assert first.ip == "203.0.113.9"
        assert everything[0].actor == "cli"
        assert everything[0].actor_id is None

        after = AuditPosition(everything[1].occurred_at, everything[1].id)
        assert [e.target_id for e in await uow.audit.list(limit=2, after=after)] == ["g2", "g1"]
        assert [e.target_id for e in await uow.audit.list(limit=9, action="generation")] == [
            "g2",
            "g1",
            "g0",
        ]
        assert await uow.audit.list(limit=9, action="gen") == []
        assert [e.target_id for e in await uow.audit.list(limit=9, actor="cli")] == [
            "g4",
            "g2",
            "g0",
        ]


async def test_an_audit_entry_outlives_its_actors_account(uows: SqlUnitOfWorkFactory) -> None:
    admin = await add_user(uows, "gone@example.com", Role.ADMIN)
    async with uows() as uow:
        await record(uow, admin, "voice.delete", target=("voice", uuid7()), now=NOW)
        await uow.commit()
    async with uows.engine.begin() as connection:
        await connection.execute(delete(accounts.users).where(accounts.users.c.id == admin.id))

    page = await AuditTrail(uow=uows).page(OPERATOR)
    [entry] = page.items
    assert (entry.actor_id, entry.actor) == (None, "gone@example.com")


# --- failure statistics ------------------------------------------------------------------


async def test_attempts_are_counted_per_hour_and_per_utc_day(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    await add_attempts(uows, owner, AttemptOutcome.COMPLETED, count=3)
    await add_attempts(uows, owner, AttemptOutcome.RETRY_SCHEDULED, ErrorCategory.PROVIDER, count=2)
    await add_attempts(uows, owner, AttemptOutcome.WORKER_LOST, at=NOW - timedelta(hours=1))
    await add_attempts(
        uows, owner, AttemptOutcome.FAILED, ErrorCategory.QUOTA, at=NOW - timedelta(days=1)
    )
    # An administrator's cancels: no attempt at speech failed, so none is counted.
    await add_attempts(uows, owner, AttemptOutcome.CANCELLED, ErrorCategory.SYSTEM, count=4)
    await add_attempts(  # before the window
        uows, owner, AttemptOutcome.FAILED, ErrorCategory.QUOTA, at=NOW - timedelta(days=9)
    )

    async with uows() as uow:
        hourly = await uow.failure_stats.attempt_counts(
            since=NOW - timedelta(hours=2), bucket=timedelta(hours=1)
        )
        daily = await uow.failure_stats.attempt_counts(
            since=NOW - timedelta(days=7), bucket=timedelta(days=1)
        )
        rate = await uow.failure_stats.failure_rate(since=NOW - timedelta(minutes=15))

    this_hour = NOW.replace(minute=0, second=0, microsecond=0)
    assert sorted((c.bucket, c.outcome, c.category, c.count) for c in hourly) == sorted(
        [
            (this_hour, "completed", None, 3),
            (this_hour, "retry_scheduled", "provider", 2),
            (this_hour - timedelta(hours=1), "worker_lost", None, 1),
        ]
    )
    today = this_hour.replace(hour=0)
    assert all(c.bucket.tzinfo is not None for c in daily)
    assert sorted((c.bucket, c.outcome, c.count) for c in daily) == sorted(
        [
            (today - timedelta(days=1), "failed", 1),
            (today, "completed", 3),
            (today, "retry_scheduled", 2),
            (today, "worker_lost", 1),
        ]
    )
    assert rate == (5, 2)


async def test_the_dashboard_numbers_come_out_of_the_database(uows: SqlUnitOfWorkFactory) -> None:
    owner = await add_user(uows)
    await add_attempts(uows, owner, AttemptOutcome.FAILED, ErrorCategory.STORAGE, count=2)
    await add_attempts(uows, owner, AttemptOutcome.COMPLETED, count=2)
    monitor = FailureMonitor(
        uow=uows,
        notifications=Notifications(
            public_base_url="https://voiceqr.test", clock=FakeClock(NOW), unsubscribe=TOKENS
        ),
        clock=FakeClock(NOW),
        policy=AlertPolicy(),
    )

    stats = await monitor.stats(OPERATOR, window=StatsWindow.DAY)

    assert stats.buckets[-1].start == NOW.replace(minute=0, second=0, microsecond=0)
    assert stats.buckets[-1].failed_by_category == {"storage": 2}
    assert (stats.failed, stats.finished, stats.current.rate) == (2, 4, 0.5)
    assert not stats.over_threshold  # 4 attempts are fewer than the minimum of 20


# --- alert states and the alert ---------------------------------------------------------


async def test_an_alert_fires_once_per_cooldown(uows: SqlUnitOfWorkFactory) -> None:
    hour = timedelta(hours=1)

    async def fire(at: datetime) -> bool:
        async with uows() as uow:
            fired = await uow.alerts.fire("failure_rate", now=at, cooldown=hour, details={"n": 1})
            await uow.commit()
            return fired

    assert await fire(NOW)
    assert not await fire(NOW + timedelta(minutes=59))
    assert await fire(NOW + hour)
    async with uows() as uow:
        assert await uow.alerts.last_fired("failure_rate") == NOW + hour
        assert await uow.alerts.last_fired("other") is None


async def test_workers_firing_at_once_fire_once(uows: SqlUnitOfWorkFactory) -> None:
    for round_start in (NOW, NOW + timedelta(hours=2)):  # the first insert, then updates

        async def fire(at: datetime = round_start) -> bool:
            async with uows() as uow:
                fired = await uow.alerts.fire(
                    "failure_rate", now=at, cooldown=timedelta(hours=1), details={}
                )
                await asyncio.sleep(0.05)  # hold the transaction open while the others try
                await uow.commit()
                return fired

        assert sorted(await asyncio.gather(*(fire() for _ in range(4)))) == [
            False,
            False,
            False,
            True,
        ]


async def alert_mail(uows: SqlUnitOfWorkFactory) -> list[str]:
    async with uows() as uow:
        return sorted(
            m.to
            for m in await uow.outbox.list(status=None, limit=100)
            if m.kind == "failure_rate_alert"
        )


async def test_the_alert_mails_each_admin_once_not_within_cooldown_nor_on_few_attempts(
    uows: SqlUnitOfWorkFactory,
) -> None:
    clock = FakeClock(NOW)
    owner = await add_user(uows)
    await add_user(uows, "root@example.com", Role.ADMIN)
    await add_user(uows, "ops@example.com", Role.ADMIN)
    await add_user(uows, "new@example.com", Role.ADMIN, verified=False)
    workers = [
        FailureMonitor(
            uow=uows,
            notifications=Notifications(
                public_base_url="https://voiceqr.test", clock=clock, unsubscribe=TOKENS
            ),
            clock=clock,
            policy=AlertPolicy(),
        )
        for _ in range(3)
    ]

    await add_attempts(uows, owner, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=19)
    assert await workers[0].check_alert() == 0  # 19 attempts: too few to judge
    assert await alert_mail(uows) == []

    await add_attempts(uows, owner, AttemptOutcome.COMPLETED)
    fired = await asyncio.gather(*(w.check_alert() for w in workers))
    assert sorted(fired) == [0, 0, 1]
    assert await alert_mail(uows) == ["ops@example.com", "root@example.com"]

    clock.advance(minutes=30)
    await add_attempts(
        uows, owner, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20, at=clock()
    )
    assert await workers[1].check_alert() == 0  # within the cooldown
    assert len(await alert_mail(uows)) == 2

    clock.advance(minutes=31)
    await add_attempts(
        uows, owner, AttemptOutcome.FAILED, ErrorCategory.PROVIDER, count=20, at=clock()
    )
    assert await workers[2].check_alert() == 1
    assert len(await alert_mail(uows)) == 4
