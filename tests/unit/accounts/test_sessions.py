"""Sessions on the fakes: where they come from, how long they last, ending them, and the
login activity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.accounts.steps import PASSWORD, PHONE, current_session, failing_sign_in, sign_in
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import hash_token
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.shared.errors import NotFound


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_a_session_records_where_it_comes_from(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)

    signed_in = await s.accounts.sign_in(email="ann@example.com", password=PASSWORD, client=PHONE)

    session = signed_in.session
    assert session.id is not None
    assert session.user_id == user.id
    assert (session.ip, session.device, session.browser) == ("198.51.100.4", "mobile", "Safari")
    assert session.user_agent == PHONE.user_agent
    assert session.method == "password"
    assert not session.remember_me
    assert session.idle_expires_at == s.clock() + timedelta(hours=2)
    assert session.reauthenticated_at == s.clock()
    (event,) = s.db.login_events
    assert (event.success, event.ip, event.device, event.method) == (
        True,
        "198.51.100.4",
        "mobile",
        "password",
    )


async def test_remember_me_lasts_30_days_even_when_idle(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    token = await sign_in(s, "ann@example.com", remember_me=True)
    session = await current_session(s, token)
    assert session.remember_me
    assert session.expires_at == s.clock() + timedelta(days=30)

    s.clock.advance(days=29, hours=23)
    assert await s.accounts.user_for_session(token) is not None
    s.clock.advance(hours=1)
    assert await s.accounts.user_for_session(token) is None


async def test_the_idle_deadline_slides_at_most_once_a_minute(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    token = await sign_in(s, "ann@example.com")
    first = await current_session(s, token)

    s.clock.advance(seconds=30)
    assert (await current_session(s, token)).last_seen_at == first.last_seen_at
    s.clock.advance(seconds=31)
    await s.accounts.session_user(token)
    stored = s.sessions.sessions[hash_token(token)]
    assert stored.last_seen_at == s.clock()
    assert stored.idle_expires_at == s.clock() + timedelta(hours=2)


async def test_sessions_are_listed_and_ended_one_or_all_others(s: Services) -> None:
    ann = s.add_user("ann@example.com", password=PASSWORD)
    bob = s.add_user("bob@example.com", password=PASSWORD)
    laptop = await sign_in(s, "ann@example.com")
    s.clock.advance(minutes=2)
    phone = await sign_in(s, "ann@example.com", client=PHONE)
    s.clock.advance(minutes=2)
    tablet = await sign_in(s, "ann@example.com")
    bobs = await sign_in(s, "bob@example.com")
    expired = await sign_in(s, "ann@example.com")
    s.sessions.sessions[hash_token(expired)].idle_expires_at = s.clock()

    listed = await s.accounts.list_sessions(ann)

    assert [x.token_hash for x in listed] == [hash_token(t) for t in (tablet, phone, laptop)]
    bob_session = await current_session(s, bobs)
    with pytest.raises(NotFound):
        await s.accounts.end_session(ann, str(bob_session.id))
    assert await s.accounts.user_for_session(bobs) is not None
    phone_session = await current_session(s, phone)
    await s.accounts.end_session(ann, str(phone_session.id))
    assert await s.accounts.user_for_session(phone) is None

    ended = await s.accounts.end_other_sessions(ann, laptop)

    assert ended == 2  # the tablet and the expired one
    assert [x.token_hash for x in await s.accounts.list_sessions(ann)] == [hash_token(laptop)]
    assert await s.accounts.user_for_session(bobs) is not None
    assert bob.id != ann.id


async def test_disabling_ends_the_sessions_and_a_disabled_users_cookie_stops_working(
    s: Services,
) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    token = await sign_in(s, "ann@example.com")
    other = await sign_in(s, "ann@example.com")

    await s.operator_sets_status("ann@example.com", UserStatus.DISABLED)

    assert s.sessions.sessions == {}
    assert await s.accounts.user_for_session(token) is None
    await s.operator_sets_status("ann@example.com", UserStatus.ACTIVE)
    # A session that outlived its user's status (disabled behind the service's back):
    third = await sign_in(s, "ann@example.com")
    disabled = s.db.users[user.id]
    disabled.status = UserStatus.DISABLED
    assert await s.accounts.user_for_session(third) is None
    assert hash_token(third) not in s.sessions.sessions
    assert await s.accounts.user_for_session(other) is None


async def test_login_activity_is_newest_first_and_forgotten_after_180_days(s: Services) -> None:
    ann = s.add_user("ann@example.com", password=PASSWORD)
    await failing_sign_in(s, "ann@example.com", "wrong guess")
    s.clock.advance(days=100)
    await sign_in(s, "ann@example.com", client=PHONE)
    await failing_sign_in(s, "bob@example.com", "whatever")

    activity = await s.accounts.login_activity(ann)
    assert [(e.success, e.reason) for e in activity] == [(True, ""), (False, "bad_credentials")]

    s.clock.advance(days=81)
    assert await s.accounts.forget_old_activity() == 1
    assert [e.success for e in await s.accounts.login_activity(ann)] == [True]
