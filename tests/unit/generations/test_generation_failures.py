"""Failure handling on fakes: attempt history (F2), admin recovery (F3), failure mail (F4)."""

from __future__ import annotations

from uuid import UUID

import pytest

from tests.unit.fakes import PUBLIC_BASE_URL, FakeSpeech, Services, make_services
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.failures import AttemptOutcome, GenerationAttempt, what_to_do
from voiceqr.domain.generations.generation import GenerationStatus, RetryPolicy
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
)
from voiceqr.domain.voices.voice import Voice

TEXT = "Welcome to the museum. Room 4 holds the Starry Night."


@pytest.fixture
def s() -> Services:
    return make_services(retry_policy=RetryPolicy(max_attempts=3, base_seconds=30.0))


@pytest.fixture
def owner(s: Services) -> User:
    return s.add_user("owner@example.com", name="Olivia")


@pytest.fixture
def admin(s: Services) -> User:
    return s.add_user("root@example.com", role=Role.ADMIN)


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


def busy() -> SpeechError:
    return SpeechError(
        "The speech service is busy; it will be tried again.",
        category=ErrorCategory.PROVIDER,
        code="provider_busy",
        retryable=True,
        detail="HTTP 503 from the provider",
    )


def quota() -> SpeechError:
    return SpeechError(
        "The speech service has no characters left this month.",
        category=ErrorCategory.QUOTA,
        code="quota_exceeded",
        retryable=False,
        detail="HTTP 401 quota_exceeded",
    )


def speech(s: Services) -> FakeSpeech:
    return s.speech["espeak"]


def failure_mail(s: Services) -> list[OutboxMessage]:
    return [m for m in s.db.outbox.values() if m.kind == "generation_failed"]


def history(s: Services, generation_id: UUID) -> list[GenerationAttempt]:
    found = [a for a in s.db.generation_attempts.values() if a.generation_id == generation_id]
    return sorted(found, key=lambda a: a.number)


async def run_until_finished(s: Services, generation_id: UUID) -> list[str]:
    """Process, then let time pass to each scheduled retry, until the job is finished."""
    actions = [(await s.generations.process(generation_id)).action]
    while not s.db.generation(generation_id).is_finished:
        due = s.db.generation(generation_id).next_attempt_at
        assert due is not None
        s.clock.set(due)
        actions.append((await s.generations.process(generation_id)).action)
    return actions


async def failed_generation(s: Services, owner: User, voice: Voice) -> UUID:
    speech(s).then(quota())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).status is GenerationStatus.FAILED
    return generation.id


# --- attempt history (F2) ----------------------------------------------------------------


async def test_every_attempt_leaves_a_row_with_its_outcome(
    s: Services, owner: User, voice: Voice
) -> None:
    speech(s).then(busy(), busy(), b"ID3 audio")
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    assert await run_until_finished(s, generation.id) == [
        "retry_scheduled",
        "retry_scheduled",
        "completed",
    ]

    rows = history(s, generation.id)
    assert [a.number for a in rows] == [1, 2, 3]
    assert [a.outcome for a in rows] == [
        AttemptOutcome.RETRY_SCHEDULED,
        AttemptOutcome.RETRY_SCHEDULED,
        AttemptOutcome.COMPLETED,
    ]
    assert all(a.finished_at is not None for a in rows)
    assert rows[0].error_category is ErrorCategory.PROVIDER
    assert rows[0].error_code == "provider_busy"
    assert rows[0].error_detail is not None
    assert "HTTP 503" in rows[0].error_detail
    assert rows[2].error_code is None
    assert rows[2].characters_billed == len(TEXT)
    assert failure_mail(s) == []  # retried failures mail nobody


async def test_an_attempt_is_open_while_the_worker_runs(
    s: Services, owner: User, voice: Voice
) -> None:
    seen: list[list[GenerationAttempt]] = []
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    speech(s).on_call = lambda _call: seen.append(history(s, generation.id)) or None

    await s.generations.process(generation.id)

    assert len(seen) == 1
    assert len(seen[0]) == 1
    assert seen[0][0].is_running
    assert seen[0][0].finished_at is None


async def test_a_lost_worker_closes_its_attempt_as_worker_lost(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()

    async def vanish(_call: object) -> None:
        s.clock.advance(s.lease.total_seconds() + 1)
        await s.generations.sweep()  # the sweeper sees the lease run out mid-job

    speech(s).on_call = vanish
    assert (await s.generations.process(generation.id)).action == "skipped"

    rows = history(s, generation.id)
    assert [a.outcome for a in rows] == [AttemptOutcome.WORKER_LOST]
    assert rows[0].error_code == "worker_lost"
    assert s.db.generation(generation.id).status is GenerationStatus.PENDING


async def test_the_sweeper_giving_up_sends_the_failure_mail_once(
    s: Services, owner: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    async def hang(_call: object) -> None:  # the worker never answers before the lease ends
        s.clock.advance(s.lease.total_seconds() + 1)
        await s.generations.sweep()

    speech(s).on_call = hang
    for _ in range(3):  # the attempt budget of the fixture's policy
        assert (await s.generations.process(generation.id)).action == "skipped"

    assert s.db.generation(generation.id).status is GenerationStatus.FAILED
    assert [a.outcome for a in history(s, generation.id)] == [AttemptOutcome.WORKER_LOST] * 3
    assert len(failure_mail(s)) == 1


# --- the failure mail (F4) -----------------------------------------------------------------


async def test_a_final_failure_mails_the_owner_exactly_once(
    s: Services, owner: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    [mail] = failure_mail(s)
    assert mail.to == owner.email
    assert f"{PUBLIC_BASE_URL}/generations/{generation_id}" in mail.text
    assert "no characters left" in mail.text
    assert what_to_do(ErrorCategory.QUOTA) in mail.text
    assert "Olivia" in mail.text
    assert "HTTP 401" not in mail.text  # technical detail is for admins only

    # A second delivery of the same job changes nothing and mails nobody.
    assert (await s.generations.process(generation_id)).action == "skipped"
    assert len(failure_mail(s)) == 1
    assert [a.outcome for a in history(s, generation_id)] == [AttemptOutcome.FAILED]


async def test_running_out_of_attempts_mails_once_not_per_attempt(
    s: Services, owner: User, voice: Voice
) -> None:
    speech(s).then(busy(), busy(), busy())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    assert await run_until_finished(s, generation.id) == [
        "retry_scheduled",
        "retry_scheduled",
        "failed",
    ]
    assert len(failure_mail(s)) == 1
    assert history(s, generation.id)[-1].outcome is AttemptOutcome.FAILED


async def test_the_failure_mail_is_lost_with_its_transaction(
    s: Services, owner: User, voice: Voice
) -> None:
    speech(s).then(quota())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    original_commit_count = s.uow.commits

    async def break_next_commit(_call: object) -> None:
        s.uow.fail_commits = 1

    speech(s).on_call = break_next_commit
    with pytest.raises(ConnectionError):
        await s.generations.process(generation.id)

    assert s.uow.commits == original_commit_count + 1  # the claim only
    assert failure_mail(s) == []
    assert s.db.generation(generation.id).status is GenerationStatus.PROCESSING


# --- the owner's view ------------------------------------------------------------------------


async def test_the_owner_reads_the_attempts_and_nobody_else_does(
    s: Services, owner: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)
    stranger = s.add_user("stranger@example.com")

    [attempt] = await s.generation_failures.attempts_for_owner(owner, generation_id)
    assert attempt.outcome is AttemptOutcome.FAILED
    with pytest.raises(NotFound):
        await s.generation_failures.attempts_for_owner(stranger, generation_id)


# --- admin recovery (F3) -----------------------------------------------------------------------


async def test_an_admin_lists_failed_generations_by_category(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    failed_id = await failed_generation(s, owner, voice)
    done = await s.generations.request(owner, text="Fine", voice_id=voice.id)
    await s.generations.process(done.id)

    assert [g.id for g in await s.generation_failures.list(admin)] == [failed_id]
    assert [
        g.id for g in await s.generation_failures.list(admin, category=ErrorCategory.QUOTA)
    ] == [failed_id]
    assert await s.generation_failures.list(admin, category=ErrorCategory.STORAGE) == []
    detail = await s.generation_failures.detail(admin, failed_id)
    assert detail.generation.error_detail is not None
    assert "HTTP 401" in detail.generation.error_detail
    assert [a.number for a in detail.attempts] == [1]


async def test_a_retry_renews_the_attempt_budget_and_wakes_a_worker_after_commit(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    retried = await s.generation_failures.retry(admin, generation_id)

    assert retried.status is GenerationStatus.PENDING
    assert retried.attempts == 0
    assert retried.error_code is None
    assert s.queue.take() == [generation_id]
    assert (await s.generations.process(generation_id)).action == "completed"
    assert [a.number for a in history(s, generation_id)] == [1, 2]  # numbers keep counting
    assert len(failure_mail(s)) == 1


async def test_a_generation_retried_and_failing_again_mails_and_notices_its_owner_once(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    for _ in range(3):  # an admin retries it, and the provider refuses it again each time
        speech(s).then(quota())
        await s.generation_failures.retry(admin, generation_id)
        assert (await s.generations.process(generation_id)).action == "failed"

    assert len(failure_mail(s)) == 1
    notices = [n for n in s.db.notices.values() if n.link == f"/generations/{generation_id}"]
    assert len(notices) == 1
    assert s.db.generation(generation_id).failure_notified_at is not None


async def test_a_cancel_after_a_failed_retry_does_not_mail_again(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)
    await s.generation_failures.retry(admin, generation_id)

    await s.generation_failures.cancel(admin, generation_id)

    assert s.db.generation(generation_id).error_code == "cancelled_by_admin"
    assert len(failure_mail(s)) == 1


async def test_each_generation_that_fails_still_mails_its_owner(
    s: Services, owner: User, voice: Voice
) -> None:
    await failed_generation(s, owner, voice)
    await failed_generation(s, owner, voice)
    assert len(failure_mail(s)) == 2


async def test_the_failure_notice_stamp_is_lost_with_its_transaction(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    """A commit that fails takes the stamp with the mail: the next failure tells them."""
    speech(s).then(quota())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    async def break_next_commit(_call: object) -> None:
        s.uow.fail_commits = 1

    speech(s).on_call = break_next_commit
    with pytest.raises(ConnectionError):
        await s.generations.process(generation.id)
    assert s.db.generation(generation.id).failure_notified_at is None

    speech(s).on_call = None
    s.clock.advance(s.lease.total_seconds() + 1)
    await s.generations.sweep()  # the lost attempt is given back
    speech(s).then(quota())
    assert (await s.generations.process(generation.id)).action == "failed"
    assert len(failure_mail(s)) == 1


async def test_only_a_failed_generation_can_be_retried(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    pending = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()

    with pytest.raises(Conflict):
        await s.generation_failures.retry(admin, pending.id)
    with pytest.raises(NotFound):
        await s.generation_failures.retry(admin, UUID(int=7))
    assert s.queue.take() == []


async def test_retrying_many_requeues_the_failed_and_reports_the_rest(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    first = await failed_generation(s, owner, voice)
    second = await failed_generation(s, owner, voice)
    pending = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    s.queue.take()

    report = await s.generation_failures.retry_many(admin, [first, pending.id, second, first])

    assert report.retried == [first, second]
    assert list(report.skipped) == [pending.id]
    assert report.skipped[pending.id].code == "illegal_transition"
    assert sorted(s.queue.take()) == sorted([first, second])


async def test_cancelling_stops_a_pending_generation_and_mails_the_owner(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    speech(s).then(busy())
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)
    await s.generations.process(generation.id)  # a retry is scheduled

    cancelled = await s.generation_failures.cancel(admin, generation.id)

    assert cancelled.status is GenerationStatus.FAILED
    assert cancelled.error_category is ErrorCategory.SYSTEM
    assert cancelled.error_code == "cancelled_by_admin"
    assert len(failure_mail(s)) == 1
    s.clock.advance(hours=1)
    assert (await s.generations.process(generation.id)).action == "skipped"
    with pytest.raises(Conflict):
        await s.generation_failures.cancel(admin, generation.id)


async def test_cancelling_mid_attempt_throws_the_workers_audio_away(
    s: Services, owner: User, admin: User, voice: Voice
) -> None:
    generation = await s.generations.request(owner, text=TEXT, voice_id=voice.id)

    async def cancel_meanwhile(_call: object) -> None:
        await s.generation_failures.cancel(admin, generation.id)

    speech(s).on_call = cancel_meanwhile
    assert (await s.generations.process(generation.id)).action == "skipped"

    stored = s.db.generation(generation.id)
    assert stored.status is GenerationStatus.FAILED
    assert stored.audio_key is None
    assert s.storage.objects == {}
    [attempt] = history(s, generation.id)
    assert attempt.outcome is AttemptOutcome.CANCELLED
    assert attempt.error_code == "cancelled_by_admin"
    # An administrator's cancel is not a failure of the speech service: no alert from it.
    stats = await s.failure_monitor.stats(admin)
    assert (stats.current.finished, stats.current.failed) == (0, 0)


async def test_non_admins_are_refused_every_recovery_tool(
    s: Services, owner: User, voice: Voice
) -> None:
    generation_id = await failed_generation(s, owner, voice)

    for attempt in (
        s.generation_failures.list(owner),
        s.generation_failures.detail(owner, generation_id),
        s.generation_failures.retry(owner, generation_id),
        s.generation_failures.retry_many(owner, [generation_id]),
        s.generation_failures.cancel(owner, generation_id),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert s.db.generation(generation_id).status is GenerationStatus.FAILED
    assert s.queue.take() == []


@pytest.mark.parametrize("category", list(ErrorCategory))
def test_every_category_has_advice(category: ErrorCategory) -> None:
    assert what_to_do(category).endswith(".")
