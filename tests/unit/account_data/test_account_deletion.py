"""Deleting an account: the owner's grace period and "keep my account", the password
asked first, the administrators' confirmation, and the job that removes everything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.account_data.steps import completed
from tests.unit.accounts.steps import current_session, sign_in
from tests.unit.fakes import Services, make_services
from tests.unit.fakes.shared import _storage_down
from voiceqr.application.account_data.deletion import DELETE_ACCOUNT
from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.domain.account_data.deletion import (
    DeletionStatus,
    DeletionStep,
    schedule_by_owner,
    schedule_by_staff,
)
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import (
    Conflict,
    Gone,
    PermissionDenied,
    StorageError,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


# --- the rules ----------------------------------------------------------------------


def test_an_owner_deletion_is_due_after_its_grace_period_and_a_staff_one_at_once(
    s: Services,
) -> None:
    now = s.clock()
    owner = schedule_by_owner(uuid7(), now=now, grace=timedelta(days=14))
    assert not owner.is_due(now + timedelta(days=13, hours=23))
    assert owner.is_due(now + timedelta(days=14))
    staff = schedule_by_staff(uuid7(), now=now, requested_by="admin@example.com", reason="spam")
    assert staff.is_due(now)


def test_a_staff_deletion_needs_a_reason() -> None:
    with pytest.raises(ValidationError) as error:
        schedule_by_staff(uuid7(), now=make_services().clock(), requested_by="a", reason="  ")
    assert error.value.code == "reason_required"


def test_a_running_deletion_can_no_longer_be_kept(s: Services) -> None:
    deletion = schedule_by_owner(uuid7(), now=s.clock(), grace=timedelta(0))
    assert deletion.claim(s.clock())
    assert deletion.status is DeletionStatus.RUNNING
    with pytest.raises(Conflict):
        deletion.cancel()


def test_a_claimed_deletion_is_not_claimed_again_until_its_lease_runs_out(s: Services) -> None:
    deletion = schedule_by_owner(uuid7(), now=s.clock(), grace=timedelta(0))
    assert deletion.claim(s.clock())
    assert not deletion.claim(s.clock() + timedelta(minutes=5))
    assert deletion.claim(s.clock() + timedelta(minutes=11))


def test_steps_never_go_back(s: Services) -> None:
    deletion = schedule_by_owner(uuid7(), now=s.clock(), grace=timedelta(0))
    deletion.advance(DeletionStep.ACCOUNT)
    deletion.advance(DeletionStep.GENERATIONS)
    assert deletion.step is DeletionStep.ACCOUNT


# --- the owner ----------------------------------------------------------------------


async def test_deleting_my_account_needs_my_password_within_five_minutes(
    s: Services, ann: User
) -> None:
    session = await current_session(s, await sign_in(s, ann.email))
    s.clock.advance(minutes=6)
    with pytest.raises(ReauthenticationRequired):
        await s.platform.account_deletions.ask(ann, session)
    assert s.db.account_deletions == {}


async def test_my_account_waits_out_the_grace_period_and_keep_my_account_cancels_it(
    s: Services, ann: User
) -> None:
    codes = await completed(s, ann)
    session = await current_session(s, await sign_in(s, ann.email))
    deletion = await s.platform.account_deletions.ask(ann, session)
    assert deletion.due_at == s.clock() + timedelta(days=14)
    assert await s.platform.account_deletions.sweep() == 0  # not due yet
    assert not await s.platform.account_deletions.run(ann.id)

    await s.platform.account_deletions.keep(ann)

    assert await s.platform.account_deletions.pending(ann.id) is None
    s.clock.advance(days=15)
    assert await s.platform.account_deletions.sweep() == 0
    assert (await s.playback.page(codes[0])).code == codes[0]
    actions = [e.action for e in s.db.audit_events]
    assert actions == ["account.deletion_requested", "account.deletion_cancelled"]


async def test_after_the_grace_period_the_sweep_deletes_the_account(s: Services, ann: User) -> None:
    codes = await completed(s, ann)
    session = await current_session(s, await sign_in(s, ann.email))
    await s.platform.account_deletions.ask(ann, session)
    s.clock.advance(days=14)

    assert await s.platform.account_deletions.sweep() == 1
    assert (DELETE_ACCOUNT, (str(ann.id),)) in s.queue.jobs
    assert await s.platform.account_deletions.run(ann.id)

    assert ann.id not in s.db.users
    for code in codes:
        with pytest.raises(Gone) as error:
            await s.playback.page(code)
        assert error.value.code == "account_deleted"


# --- staff and the job --------------------------------------------------------------


async def test_only_an_administrator_deletes_an_account_with_its_email_typed_again(
    s: Services, ann: User
) -> None:
    support = s.add_user("help@example.com", role=Role.SUPPORT)
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    deletions = s.platform.account_deletions
    with pytest.raises(PermissionDenied):
        await deletions.delete_by_staff(support, ann.id, email_typed=ann.email, reason="spam")
    with pytest.raises(ValidationError) as error:
        await deletions.delete_by_staff(admin, ann.id, email_typed="ann@example.org", reason="x")
    assert error.value.code == "email_mismatch"
    assert s.db.account_deletions == {}

    await deletions.delete_by_staff(admin, ann.id, email_typed="ANN@example.com", reason="spam")

    (event,) = s.db.audit_events
    assert (event.action, event.target_id, event.details) == (
        "account.delete",
        str(ann.id),
        {"reason": "spam"},
    )
    assert (DELETE_ACCOUNT, (str(ann.id),)) in s.queue.jobs


async def test_the_job_removes_files_rows_and_sessions_and_answers_410_at_once(
    s: Services, ann: User
) -> None:
    other = s.add_user("bob@example.com")
    codes = await completed(s, ann, count=3)
    (kept,) = await completed(s, other, count=1)
    await sign_in(s, ann.email)
    # Seen once: the playback page keeps the code's answer for a few seconds.
    assert (await s.playback.page(codes[0])).audio_url
    files = [
        k
        for k in s.storage.objects
        if any(g.owner_id == ann.id and str(g.id) in k for g in s.db.generations.values())
    ]
    assert len(files) == 3

    await s.platform.account_deletions.delete_by_email(
        OPERATOR, ann.email, reason="asked by mail", at_once=True
    )

    with pytest.raises(Gone):
        await s.playback.page(codes[0])  # at once in this process: the cache forgot it
    assert not any(k in s.storage.objects for k in files)
    assert ann.id not in s.db.users
    assert not [g for g in s.db.generations.values() if g.owner_id == ann.id]
    assert await s.sessions.list_for_user(ann.id) == []
    assert s.db.account_deletions == {}
    assert (await s.playback.page(kept)).audio_url  # nobody else's
    (event,) = s.db.audit_events
    assert event.actor == "cli"
    assert "ann@example.com" not in str(event)


async def test_a_job_that_died_half_way_is_finished_by_the_next_and_a_second_run_does_nothing(
    s: Services, ann: User
) -> None:
    codes = await completed(s, ann, count=3)
    deletions = s.platform.account_deletions
    deletions.batch = 1
    deleted = s.storage.delete

    async def storage_down(key: str) -> None:
        raise _storage_down()

    s.storage.delete = storage_down  # type: ignore[method-assign]
    with pytest.raises(StorageError):  # the files step fails after the codes were retired
        await deletions.delete_by_email(OPERATOR, ann.email, reason="spam", at_once=True)
    assert ann.id in s.db.users
    assert s.db.account_deletions[ann.id].step is DeletionStep.GENERATIONS
    with pytest.raises(Gone):
        await s.playback.page(codes[2])

    s.storage.delete = deleted  # type: ignore[method-assign]
    assert not await deletions.run(ann.id)  # its lease still holds
    s.clock.advance(minutes=11)
    assert await deletions.sweep() == 1
    assert await deletions.run(ann.id)
    assert ann.id not in s.db.users
    assert not await deletions.run(ann.id)


async def test_the_logos_of_the_accounts_qr_designs_go_with_it(s: Services, ann: User) -> None:
    await completed(s, ann, count=2)
    owned = [g.id for g in s.db.generations.values() if g.owner_id == ann.id]
    designs = s.platform.generations.qr_designs
    logos = [(await designs.upload_logo(ann, g, b"logo")).logo_key for g in owned]
    assert all(key in s.storage.objects for key in logos)

    await s.platform.account_deletions.delete_by_email(
        OPERATOR, ann.email, reason="asked by mail", at_once=True
    )

    assert not [key for key in logos if key in s.storage.objects]
    assert s.db.generation_qr_designs == {}
