"""Changing an account on the fakes: re-authentication, email, password and name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.accounts.steps import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    PHONE,
    current_session,
    failing_sign_in,
    sign_in,
    the_mail,
    token_from,
)
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import ReauthenticationRequired
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    ErrorCategory,
    RateLimited,
    ValidationError,
)


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_reauthentication_opens_a_5_minute_window(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    token = await sign_in(s, "ann@example.com")
    s.accounts.require_recent_authentication(await current_session(s, token))  # just signed in
    s.clock.advance(minutes=5, seconds=1)
    with pytest.raises(ReauthenticationRequired) as closed:
        s.accounts.require_recent_authentication(await current_session(s, token))
    assert closed.value.code == "reauthentication_required"
    assert closed.value.category is ErrorCategory.PERMISSION

    with pytest.raises(AuthenticationFailed) as wrong:
        await s.accounts.reauthenticate(user, await current_session(s, token), "wrong guess")
    assert wrong.value.code == "bad_password"
    await s.accounts.reauthenticate(user, await current_session(s, token), PASSWORD)

    s.accounts.require_recent_authentication(await current_session(s, token))
    s.clock.advance(minutes=5)
    s.accounts.require_recent_authentication(await current_session(s, token))
    s.clock.advance(seconds=1)
    with pytest.raises(ReauthenticationRequired):
        s.accounts.require_recent_authentication(await current_session(s, token))


async def test_reauthentication_is_rate_limited_per_account(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    session = await current_session(s, await sign_in(s, "ann@example.com"))
    s.limits.limit_all = True

    with pytest.raises(RateLimited):
        await s.accounts.reauthenticate(user, session, PASSWORD)
    with pytest.raises(RateLimited):
        await s.accounts.change_password(
            user, session, current_password=PASSWORD, new_password=NEW_PASSWORD
        )
    assert s.db.users[user.id].password_hash == s.hasher.make(PASSWORD)
    assert "signin:email:ann@example.com" in s.limits.hits


async def test_changing_the_email_takes_effect_only_once_confirmed(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD, name="Ann")
    token = await sign_in(s, "ann@example.com")
    s.clock.advance(minutes=6)
    with pytest.raises(ReauthenticationRequired):
        await s.accounts.change_email(
            user, await current_session(s, token), new_email="new@example.com"
        )
    assert s.db.outbox == {}
    await s.accounts.reauthenticate(user, await current_session(s, token), PASSWORD)

    await s.accounts.change_email(
        user, await current_session(s, token), new_email=" New@Example.com"
    )

    assert s.db.users[user.id].email == "ann@example.com"
    confirm = token_from(the_mail(s, "new@example.com", "change_email"), "/verify-email")
    assert "new@example.com" in the_mail(s, "ann@example.com", "email_change_requested").text
    (stored,) = s.db.account_tokens.values()
    assert stored.expires_at == s.clock() + timedelta(hours=24)
    s.clock.advance(hours=23)

    changed = await s.accounts.verify_email(confirm)

    assert changed.email == "new@example.com"
    assert s.db.users[user.id].email == "new@example.com"
    assert s.db.users[user.id].email_verified_at == s.clock()
    assert "new@example.com" in the_mail(s, "ann@example.com", "email_changed").text
    await sign_in(s, "new@example.com")
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "bad_credentials"


async def test_a_change_of_email_link_expires_after_24_hours(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    session = await current_session(s, await sign_in(s, "ann@example.com"))
    await s.accounts.change_email(user, session, new_email="new@example.com")
    confirm = token_from(the_mail(s, "new@example.com", "change_email"), "/verify-email")
    s.clock.advance(hours=24)

    with pytest.raises(ValidationError):
        await s.accounts.verify_email(confirm)
    assert s.db.users[user.id].email == "ann@example.com"


async def test_changing_to_a_taken_or_the_same_email(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    s.add_user("bob@example.com")
    session = await current_session(s, await sign_in(s, "ann@example.com"))

    with pytest.raises(Conflict) as taken:
        await s.accounts.change_email(user, session, new_email="BOB@example.com")
    assert taken.value.code == "email_taken"
    assert s.db.outbox == {}
    assert s.db.account_tokens == {}
    with pytest.raises(ValidationError) as same:
        await s.accounts.change_email(user, session, new_email="Ann@example.com")
    assert same.value.code == "email_unchanged"
    with pytest.raises(ValidationError) as invalid:
        await s.accounts.change_email(user, session, new_email="nope")
    assert invalid.value.code == "email_invalid"


async def test_changing_the_password_ends_the_other_sessions_and_tells_the_owner(
    s: Services,
) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    here = await sign_in(s, "ann@example.com")
    there = await sign_in(s, "ann@example.com", client=PHONE)
    s.clock.advance(hours=1)
    session = await current_session(s, here)

    with pytest.raises(AuthenticationFailed) as wrong:
        await s.accounts.change_password(
            user, session, current_password="wrong guess", new_password=NEW_PASSWORD
        )
    assert wrong.value.code == "bad_password"
    with pytest.raises(ValidationError):
        await s.accounts.change_password(
            user, session, current_password=PASSWORD, new_password="qwertyuiop"
        )
    assert await s.accounts.user_for_session(there) is not None
    assert s.db.outbox == {}

    await s.accounts.change_password(
        user, session, current_password=PASSWORD, new_password=NEW_PASSWORD
    )

    assert await s.accounts.user_for_session(there) is None
    assert await s.accounts.user_for_session(here) is not None
    assert (await current_session(s, here)).reauthenticated_at == s.clock()
    assert s.db.users[user.id].password_hash == s.hasher.make(NEW_PASSWORD)
    assert the_mail(s, "ann@example.com", "password_changed")


async def test_a_social_only_account_sets_a_password_only_soon_after_signing_in(
    s: Services,
) -> None:
    user = s.add_user("ann@example.com")
    user.password_hash = None  # signs in with Google or Microsoft only
    s.db.put_user(user)
    signed_in = await s.accounts.start_session(
        user, client=CLIENT, remember_me=False, method=SignInMethod.GOOGLE
    )
    s.clock.advance(minutes=5, seconds=1)

    with pytest.raises(ReauthenticationRequired):
        await s.accounts.change_password(
            user, signed_in.session, current_password="", new_password=NEW_PASSWORD
        )
    assert s.db.users[user.id].password_hash is None

    fresh = await s.accounts.start_session(
        user, client=CLIENT, remember_me=False, method=SignInMethod.GOOGLE
    )
    await s.accounts.change_password(
        user, fresh.session, current_password="", new_password=NEW_PASSWORD
    )
    await sign_in(s, "ann@example.com", NEW_PASSWORD)


async def test_a_name_change(s: Services) -> None:
    user = s.add_user("ann@example.com")
    assert (await s.accounts.update_name(user, "  Ann   Lee ")).name == "Ann Lee"
    assert s.db.users[user.id].name == "Ann Lee"
    with pytest.raises(ValidationError):
        await s.accounts.update_name(user, " ")
