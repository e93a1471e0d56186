"""Staff at work on people's accounts: finding them, and each change with its reason,
its audit entry and what the owner reads of it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.accounts.steps import CLIENT
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.ports import UserQuery, UserSort
from voiceqr.application.accounts.staff import StaffAccounts
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    ValidationError,
)

PASSWORD = "correct horse battery"
WHY = "asked by phone, ticket 42"


@pytest.fixture
def s() -> Services:
    return make_services()


def staff(s: Services) -> StaffAccounts:
    return s.platform.accounts.staff


def query(s: Services, **filters: object) -> UserQuery:
    return UserQuery(now=s.clock(), **filters)  # type: ignore[arg-type]


async def test_search_finds_a_prefix_of_the_email_or_the_name_in_any_case(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    s.add_user("ann.lee@example.com", name="Ann Lee")
    s.add_user("zed@example.com", name="Annabel Zed")
    s.add_user("bob@example.com", name="Bob")
    page = await staff(s).search(agent, query(s, text="ANN", sort=UserSort.EMAIL))
    assert [u.email for u in page.items] == ["ann.lee@example.com", "zed@example.com"]
    assert (await staff(s).search(agent, query(s, text="%"))).items == []


async def test_search_filters_and_pages_with_a_cursor(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    for n in range(5):
        s.clock.advance(60)
        s.add_user(f"user{n}@example.com", verified=n % 2 == 0)
    seen: list[str] = []
    cursor = None
    while True:
        page = await staff(s).search(
            agent, query(s, role=Role.USER, limit=2, sort=UserSort.NEWEST), cursor=cursor
        )
        seen += [u.email for u in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"user{n}@example.com" for n in reversed(range(5))]
    unverified = await staff(s).search(agent, query(s, verified=False, sort=UserSort.EMAIL))
    assert [u.email for u in unverified.items] == ["user1@example.com", "user3@example.com"]
    with pytest.raises(ValidationError):
        await staff(s).search(agent, query(s, sort=UserSort.EMAIL), cursor=cursor or "x")


async def test_a_plain_user_can_do_nothing_to_accounts(s: Services) -> None:
    someone = s.add_user("someone@example.com")
    target = s.add_user("target@example.com")
    with pytest.raises(PermissionDenied):
        await staff(s).search(someone, query(s))
    with pytest.raises(PermissionDenied):
        await staff(s).profile(someone, target.id)
    with pytest.raises(PermissionDenied):
        await staff(s).lock(someone, target.id, until=s.clock() + timedelta(hours=1), reason=WHY)
    assert s.db.audit_events == []


async def test_support_locks_and_unlocks_with_a_reason_and_the_owner_sees_why(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    with pytest.raises(ValidationError, match="reason"):
        await staff(s).lock(agent, ann.id, until=s.clock() + timedelta(hours=1), reason="  ")
    await staff(s).lock(
        agent, ann.id, until=s.clock() + timedelta(hours=1), reason=WHY, ip="1.2.3.4"
    )
    assert await s.sessions.list_for_user(ann.id) == []
    with pytest.raises(AuthenticationFailed):
        await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    await staff(s).unlock(agent, ann.id, reason="confirmed it is her")
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    entries = [(e.action, e.actor, e.details["reason"]) for e in s.db.audit_events]
    assert entries == [
        ("user.lock", "agent@example.com", WHY),
        ("user.unlock", "agent@example.com", "confirmed it is her"),
    ]
    changes = await staff(s).changes_for_owner(ann)
    assert [(c.what, c.why, c.by) for c in changes] == [
        ("Your account was unlocked", "confirmed it is her", "voiceqr support"),
        ("Your account was locked", WHY, "voiceqr support"),
    ]


async def test_support_cannot_change_roles_nor_touch_a_staff_account(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    ann = s.add_user("ann@example.com")
    with pytest.raises(PermissionDenied):
        await staff(s).change_role(agent, ann.id, Role.SUPPORT, reason=WHY)
    with pytest.raises(PermissionDenied):
        await staff(s).set_status(agent, admin.id, UserStatus.DISABLED, reason=WHY)
    changed = await staff(s).change_role(admin, ann.id, Role.SUPPORT, reason=WHY)
    assert changed.role is Role.SUPPORT
    with pytest.raises(Conflict):
        await staff(s).change_role(admin, admin.id, Role.USER, reason=WHY)


async def test_staff_change_an_email_without_confirmation_and_the_old_address_is_told(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com", verified=False)
    s.add_user("taken@example.com")
    with pytest.raises(Conflict):
        await staff(s).edit(agent, ann.id, email="taken@example.com", reason=WHY)
    user = await staff(s).edit(agent, ann.id, name="Ann Lee", email="Ann@New.example", reason=WHY)
    assert (user.email, user.name, user.is_verified) == ("ann@new.example", "Ann Lee", True)
    told = [m for m in s.db.outbox.values() if m.kind == "email_changed"]
    assert [m.to for m in told] == ["ann@example.com"]
    assert s.db.audit_events[-1].details["new_email"] == "ann@new.example"


async def test_forcing_a_password_change_stops_the_old_password_and_mails_a_link(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    await staff(s).force_password_change(agent, ann.id, reason=WHY)
    assert await s.sessions.list_for_user(ann.id) == []
    with pytest.raises(AuthenticationFailed):
        await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    mailed = [m for m in s.db.outbox.values() if m.kind == "password_reset_required"]
    assert len(mailed) == 1
    assert "/reset-password?token=" in mailed[0].text
    token = mailed[0].text.split("token=")[1].split()[0]
    await s.accounts.reset_password(token=token, password="a brand new passphrase")
    await s.accounts.sign_in(email=ann.email, password="a brand new passphrase", client=CLIENT)


async def test_a_reset_link_sent_by_support_keeps_the_password_working(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    await staff(s).send_password_reset(agent, ann.id, reason=WHY)
    assert [m.kind for m in s.db.outbox.values()] == ["support_password_reset"]
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)


async def test_ending_sessions_and_revoking_keys_say_how_many(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    await s.platform.accounts.api_keys.create(ann, "script", ["read"])
    assert await staff(s).end_sessions(agent, ann.id, reason=WHY) == 2
    assert await staff(s).revoke_api_keys(agent, ann.id, reason=WHY) == 1
    assert await staff(s).revoke_api_keys(agent, ann.id, reason=WHY) == 0
    assert [e.details.get("sessions", e.details.get("api_keys")) for e in s.db.audit_events] == [
        2,
        1,
        0,
    ]


async def test_verify_disable_enable_and_the_profile(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com", verified=False)
    await staff(s).verify_email(agent, ann.id, reason=WHY)
    with pytest.raises(ValidationError):
        await staff(s).verify_email(agent, ann.id, reason=WHY)
    await staff(s).set_status(agent, ann.id, UserStatus.DISABLED, reason=WHY)
    await staff(s).set_status(agent, ann.id, UserStatus.ACTIVE, reason=WHY)
    profile = await staff(s).profile(agent, ann.id)
    assert isinstance(profile.user, User)
    assert profile.user.is_verified
    assert [a.action for a in profile.staff_actions] == [
        "user.enable",
        "user.disable",
        "user.verify",
    ]


async def test_a_lock_must_end_in_the_future_and_within_a_year(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    for until in (s.clock() - timedelta(minutes=1), s.clock() + timedelta(days=400)):
        with pytest.raises(ValidationError):
            await staff(s).lock(agent, ann.id, until=until, reason=WHY)


async def test_only_an_admin_ends_everyones_sessions_and_it_is_audited_once(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    ann = s.add_user("ann@example.com")
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    with pytest.raises(PermissionDenied):
        await staff(s).end_everyones_sessions(agent, reason=WHY)
    assert await staff(s).end_everyones_sessions(admin, reason="incident 7") == 3
    assert await s.sessions.list_for_user(ann.id) == []
    assert [(e.action, e.details["reason"]) for e in s.db.audit_events] == [
        ("users.sessions_end", "incident 7")
    ]


async def test_forcing_everyone_to_change_passwords_mails_each_account(s: Services) -> None:
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    s.add_user("ann@example.com")
    with pytest.raises(PermissionDenied):
        await staff(s).force_everyone_password_change(
            s.add_user("agent@example.com", role=Role.SUPPORT), reason=WHY
        )
    assert await staff(s).force_everyone_password_change(admin, reason="leak") == 3
    mailed = sorted(m.to for m in s.db.outbox.values() if m.kind == "password_reset_required")
    assert mailed == ["agent@example.com", "ann@example.com", "boss@example.com"]


async def test_staff_create_an_account_whose_owner_chooses_the_password_from_a_mail(
    s: Services,
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    with pytest.raises(PermissionDenied):
        await staff(s).create(agent, email="new@example.com", name="N", reason=WHY, role=Role.ADMIN)
    user = await staff(s).create(
        agent, email="New@Example.com", name="Nia New", reason=WHY, verified=False
    )
    assert (user.email, user.password_hash, user.is_verified) == ("new@example.com", None, False)
    kinds = sorted(m.kind for m in s.db.outbox.values())
    assert kinds == ["account_created", "verify_email"]
    welcome = next(m for m in s.db.outbox.values() if m.kind == "account_created")
    token = welcome.text.split("token=")[1].split()[0]
    s.clock.advance(days=6)  # the link lasts a week, not a reset link's 30 minutes
    await s.accounts.reset_password(token=token, password="my own passphrase")
    await s.accounts.sign_in(email=user.email, password="my own passphrase", client=CLIENT)
    with pytest.raises(Conflict):
        await staff(s).create(agent, email="new@example.com", name="Again", reason=WHY)
    assert s.db.audit_events[-1].details["reason"] == WHY
