"""Who may do what: the roles and their permissions, and use cases that ask for them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.voices.gallery import VoiceSpec
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR, PERMISSIONS, Permission, can, require
from voiceqr.domain.shared.errors import PermissionDenied

WHY = "the user asked by phone"

roles = st.sampled_from(Role)
permissions = st.sampled_from(Permission)
PASSWORD = "correct horse battery"


@pytest.fixture
def s() -> Services:
    return make_services()


def person(role: Role) -> User:
    return make_services().add_user(f"{role}@example.com", role=role)


@given(permissions)
def test_an_admin_may_do_everything(permission: Permission) -> None:
    require(person(Role.ADMIN), permission)


@given(permissions)
def test_the_operator_at_the_terminal_may_do_what_an_admin_may(permission: Permission) -> None:
    assert can(OPERATOR, permission) == can(person(Role.ADMIN), permission)
    assert (OPERATOR.id, OPERATOR.actor_label) == (None, "cli")


@given(roles)
def test_only_an_admin_may_change_roles(role: Role) -> None:
    assert (Permission.CHANGE_ROLES in PERMISSIONS[role]) == (role is Role.ADMIN)


@given(roles, permissions)
def test_require_refuses_exactly_what_the_role_lacks(role: Role, permission: Permission) -> None:
    actor = person(role)
    if permission in PERMISSIONS[role]:
        require(actor, permission)
    else:
        with pytest.raises(PermissionDenied):
            require(actor, permission)


def test_a_plain_user_holds_no_staff_permission() -> None:
    assert PERMISSIONS[Role.USER] == frozenset()
    assert all(PERMISSIONS[role] <= PERMISSIONS[Role.ADMIN] for role in Role)


def test_what_only_admins_may_do_is_refused_the_same_as_before() -> None:
    with pytest.raises(PermissionDenied) as refused:
        require(person(Role.SUPPORT), Permission.MANAGE_VOICES)
    assert (refused.value.code, refused.value.message) == (
        "admin_only",
        "Only administrators can do this.",
    )
    with pytest.raises(PermissionDenied) as refused:
        require(person(Role.USER), Permission.RECOVER_GENERATIONS)
    assert refused.value.code == "permission_missing"
    assert "user role" in refused.value.message


async def test_a_user_cannot_lock_disable_or_verify_an_account(s: Services) -> None:
    user = s.add_user("ann@example.com")
    target = s.add_user("bob@example.com", verified=False)
    staff = s.platform.accounts.staff
    for attempt in (
        staff.set_status(user, target.id, UserStatus.DISABLED, reason=WHY),
        staff.lock(user, target.id, until=s.clock() + timedelta(hours=1), reason=WHY),
        staff.verify_email(user, target.id, reason=WHY),
        s.accounts.list_users(user),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert s.db.users[target.id].status is UserStatus.ACTIVE
    assert s.db.users[target.id].email_verified_at is None
    assert s.db.audit_events == []


async def test_support_helps_accounts_but_cannot_hand_out_roles(s: Services) -> None:
    support = s.add_user("help@example.com", role=Role.SUPPORT)
    target = s.add_user("bob@example.com")

    staff = s.platform.accounts.staff
    locked = await staff.lock(support, target.id, until=s.clock() + timedelta(hours=1), reason=WHY)
    assert locked.locked_until is not None
    made = await s.accounts.create_user(
        email="new@example.com", name="New", password=PASSWORD, role=Role.USER, actor=support
    )
    assert made.role is Role.USER
    with pytest.raises(PermissionDenied):
        await s.accounts.create_user(
            email="boss@example.com", name="Boss", password=PASSWORD, role=Role.ADMIN, actor=support
        )
    assert [u.email for u in await s.accounts.list_users(support)].count("boss@example.com") == 0


async def test_support_cannot_lock_or_disable_a_staff_account(s: Services) -> None:
    support = s.add_user("help@example.com", role=Role.SUPPORT)
    admin = s.add_user("boss@example.com", role=Role.ADMIN)
    staff = s.platform.accounts.staff
    for attempt in (
        staff.lock(support, admin.id, until=s.clock() + timedelta(hours=1), reason=WHY),
        staff.set_status(support, admin.id, UserStatus.DISABLED, reason=WHY),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert s.db.users[admin.id].locked_until is None
    assert s.db.users[admin.id].status is UserStatus.ACTIVE
    assert s.db.audit_events == []
    locked = await staff.lock(OPERATOR, admin.id, until=s.clock() + timedelta(hours=1), reason=WHY)
    assert locked.locked_until is not None


async def test_a_moderator_recovers_generations_but_does_not_manage_voices(s: Services) -> None:
    moderator = s.add_user("mod@example.com", role=Role.MODERATOR)
    assert await s.generation_failures.list(moderator) == []
    with pytest.raises(PermissionDenied):
        await s.voices.create(moderator, VoiceSpec("Nora", "en-gb"))
    with pytest.raises(PermissionDenied):
        await s.audit.page(moderator)
