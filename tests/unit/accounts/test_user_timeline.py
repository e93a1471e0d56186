"""A user's timeline for staff: every source merged newest first, filtered by kind,
paged with a cursor, and closed to anyone who may not read accounts."""

from __future__ import annotations

import pytest

from tests.unit.accounts.steps import CLIENT
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.timeline import UserTimeline
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from voiceqr.domain.shared.ids import uuid7

PASSWORD = "correct horse battery"


@pytest.fixture
def s() -> Services:
    return make_services()


def timeline(s: Services) -> UserTimeline:
    return s.platform.accounts.timeline


async def test_every_kind_comes_in_newest_first_and_pages_with_a_cursor(s: Services) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    ann = s.add_user("ann@example.com")
    voice = s.add_voice()
    with pytest.raises(AuthenticationFailed):
        await s.accounts.sign_in(email=ann.email, password="wrong password!", client=CLIENT)
    s.clock.advance(1)
    await s.accounts.sign_in(email=ann.email, password=PASSWORD, client=CLIENT)
    s.clock.advance(1)
    await s.generations.request(ann, text="Room 4", voice_id=voice.id)
    s.clock.advance(1)
    await s.platform.accounts.api_keys.create(ann, "script", ["read"])
    s.clock.advance(1)
    await s.platform.accounts.staff.send_password_reset(agent, ann.id, reason="asked by phone")
    s.clock.advance(1)

    page = await timeline(s).page(agent, ann.id)
    kinds = [e.kind for e in page.items]
    assert kinds[:3] == ["staff", "mail", "api_key"]
    assert set(kinds) == {"sign_in", "session", "generation", "api_key", "mail", "staff"}
    assert [e.at for e in page.items] == sorted((e.at for e in page.items), reverse=True)
    refused = [e for e in page.items if not e.ok]
    assert [e.what for e in refused] == ["Sign-in refused: bad_credentials"]
    assert page.items[0].detail == "asked by phone"

    seen = []
    cursor = None
    while True:
        part = await timeline(s).page(agent, ann.id, limit=2, cursor=cursor)
        seen += part.items
        if part.next_cursor is None:
            break
        cursor = part.next_cursor
    assert seen == page.items

    only = await timeline(s).page(agent, ann.id, kinds=["sign_in"])
    assert {e.kind for e in only.items} == {"sign_in"}
    with pytest.raises(ValidationError):
        await timeline(s).page(agent, ann.id, kinds=["tickets"])
    with pytest.raises(ValidationError):
        await timeline(s).page(agent, ann.id, cursor="not-ours")


async def test_only_staff_who_read_accounts_see_a_timeline(s: Services) -> None:
    ann = s.add_user("ann@example.com")
    bob = s.add_user("bob@example.com")
    with pytest.raises(PermissionDenied):
        await timeline(s).page(bob, ann.id)
    with pytest.raises(NotFound):
        await timeline(s).page(s.add_user("a@example.com", role=Role.ADMIN), uuid7())
