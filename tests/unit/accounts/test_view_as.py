"""Staff viewing the site as a user, against in-memory fakes: who may view whom, what the
session resolves to while the view lasts, and how it ends (stopped, at its time limit,
at sign-out, when the account stops being viewable), each start and end audited once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.accounts.steps import sign_in
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import hash_token
from voiceqr.application.accounts.view_as import SignedIn, ViewAs
from voiceqr.domain.account_data.deletion import schedule_by_owner
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.errors import NotFound, PermissionDenied, ValidationError

WHY = "ticket 42: cannot find the codes"


@pytest.fixture
def s() -> Services:
    return make_services()


def view_as(s: Services) -> ViewAs:
    return s.platform.accounts.view_as


async def signed_in(s: Services, token: str) -> SignedIn:
    found = await s.accounts.signed_in(token)
    assert found is not None
    return found


def audit(s: Services) -> list[tuple[str, str, str, object]]:
    return [
        (e.action, e.actor, e.target_id, e.details.get("ended") or e.details.get("reason"))
        for e in sorted(s.db.audit_events, key=lambda e: (e.occurred_at, e.id))
    ]


async def viewing(s: Services, staff: User, user: User) -> str:
    """`staff` signed in and viewing as `user`; the staff member's session cookie."""
    token = await sign_in(s, staff.email)
    found = await signed_in(s, token)
    await view_as(s).start(staff, found.session, user.id, reason=WHY)
    return token


async def test_while_viewing_the_session_acts_as_the_user_and_says_who_views(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)

    found = await signed_in(s, token)

    assert found.user.id == ann.id
    assert found.viewer is not None
    assert found.viewer.id == agent.id
    assert found.read_only
    assert found.session.viewing_until == s.clock() + timedelta(minutes=15)
    assert (await s.accounts.session_user(token)) == (found.user, found.session)
    assert audit(s) == [("user.view_as", "agent@example.com", str(ann.id), WHY)]


async def test_stopping_returns_the_viewed_account_and_acts_as_oneself_again(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)

    assert await view_as(s).stop(token) == ann.id
    assert await view_as(s).stop(token) is None  # a second click ends nothing more

    found = await signed_in(s, token)
    assert found.user.id == agent.id
    assert not found.read_only
    assert [a[0] for a in audit(s)] == ["user.view_as", "user.view_as_end"]
    assert audit(s)[-1][3] == "stopped"


@settings(max_examples=40, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=60), seconds=st.integers(0, 59))
async def test_the_view_lasts_exactly_its_length_and_ends_once(minutes: int, seconds: int) -> None:
    s = make_services()
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)

    s.clock.advance(minutes=minutes, seconds=seconds)
    first = await signed_in(s, token)
    second = await signed_in(s, token)

    over = timedelta(minutes=minutes, seconds=seconds) >= timedelta(minutes=15)
    assert first.read_only is (not over)
    assert second.user.id == first.user.id
    ends = [a for a in audit(s) if a[0] == "user.view_as_end"]
    assert ends == (
        [("user.view_as_end", "agent@example.com", str(ann.id), "time limit")] if over else []
    )


async def test_stop_clicked_after_the_time_limit_says_the_time_ended_it(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)
    s.clock.advance(minutes=20)

    assert await view_as(s).stop(token) == ann.id  # still back to Ann's page

    assert audit(s)[-1] == ("user.view_as_end", "agent@example.com", str(ann.id), "time limit")
    assert not (await signed_in(s, token)).read_only


async def test_signing_out_ends_the_view_and_says_so(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)

    await s.accounts.sign_out(token)

    assert await s.accounts.signed_in(token) is None
    assert audit(s)[-1] == ("user.view_as_end", "agent@example.com", str(ann.id), "signed out")


async def test_a_view_ends_without_a_trace_when_the_account_is_deleted_meanwhile(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)
    del s.db.users[ann.id]  # the deletion job removed the account

    found = await signed_in(s, token)

    assert found.user.id == agent.id
    assert not found.read_only
    assert [a[0] for a in audit(s)] == ["user.view_as"]  # nothing new names the account


async def test_a_view_ends_when_the_account_is_made_staff_meanwhile(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)
    s.db.users[ann.id].role = Role.MODERATOR  # promoted behind the view's back

    found = await signed_in(s, token)

    assert found.user.id == agent.id
    assert audit(s)[-1][3] == "account no longer viewable"


@pytest.mark.parametrize(
    ("viewer_role", "target_role"),
    [
        (Role.SUPPORT, Role.ADMIN),
        (Role.SUPPORT, Role.SUPPORT),
        (Role.SUPPORT, Role.MODERATOR),
        (Role.ADMIN, Role.ADMIN),
        (Role.ADMIN, Role.SUPPORT),
        (Role.MODERATOR, Role.USER),
        (Role.USER, Role.USER),
    ],
)
async def test_only_support_and_admins_view_and_only_as_a_plain_user(
    s: Services, viewer_role: Role, target_role: Role
) -> None:
    staff = s.add_user("staff@example.com", role=viewer_role)
    target = s.add_user("target@example.com", role=target_role)
    token = await sign_in(s, staff.email)
    session = (await signed_in(s, token)).session

    with pytest.raises(PermissionDenied):
        await view_as(s).start(staff, session, target.id, reason=WHY)

    assert not (await signed_in(s, token)).read_only
    assert audit(s) == []


async def test_nobody_views_as_themselves_and_a_reason_and_an_account_are_needed(
    s: Services,
) -> None:
    admin = s.add_user("admin@example.com", role=Role.ADMIN)
    ann = s.add_user("ann@example.com")
    token = await sign_in(s, admin.email)
    session = (await signed_in(s, token)).session

    with pytest.raises(PermissionDenied) as own:
        await view_as(s).start(admin, session, admin.id, reason=WHY)
    assert own.value.code == "view_as_self"
    with pytest.raises(ValidationError):
        await view_as(s).start(admin, session, ann.id, reason="  ")
    with pytest.raises(NotFound):
        await view_as(s).start(admin, session, UUID(int=7), reason=WHY)
    assert audit(s) == []


async def test_a_new_view_replaces_the_one_on_and_ends_it_in_the_log(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    bob = s.add_user("bob@example.com")
    token = await viewing(s, agent, ann)
    session = await s.sessions.get(hash_token(token))
    assert session is not None

    await view_as(s).start(agent, session, bob.id, reason=WHY)

    assert (await signed_in(s, token)).user.id == bob.id
    assert [(a[0], a[2]) for a in audit(s)] == [
        ("user.view_as", str(ann.id)),
        ("user.view_as_end", str(ann.id)),
        ("user.view_as", str(bob.id)),
    ]


async def test_the_owner_reads_that_support_viewed_their_account(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    token = await viewing(s, agent, ann)
    await view_as(s).stop(token)

    changes = await s.platform.accounts.staff.changes_for_owner(ann)

    assert [(c.what, c.why, c.by) for c in changes] == [
        ("Support stopped viewing your pages", "", "voiceqr support"),
        ("Support viewed your pages as you see them (read-only)", WHY, "voiceqr support"),
    ]


async def test_the_pending_deletion_comes_with_the_session_of_its_account(s: Services) -> None:
    ann = s.add_user("ann@example.com")
    token = await sign_in(s, ann.email)
    assert (await signed_in(s, token)).deletion_due_at is None

    deletion = schedule_by_owner(ann.id, now=s.clock(), grace=timedelta(days=14))
    s.db.account_deletions[ann.id] = deletion

    assert (await signed_in(s, token)).deletion_due_at == deletion.due_at
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    staff_token = await viewing(s, agent, ann)
    assert (await signed_in(s, staff_token)).deletion_due_at == deletion.due_at  # as Ann sees it
