"""Signing in on the fakes: failures that look alike, lockout and unlock, rate limits, and
the hook for a second factor."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from tests.unit.accounts.steps import (
    CLIENT,
    PASSWORD,
    failing_sign_in,
    outbox,
    sign_in,
    the_mail,
    token_from,
)
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.policy import (
    Client,
    SecondFactorRequired,
)
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.shared.errors import AuthenticationFailed, RateLimited, ValidationError


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_unknown_wrong_locked_and_disabled_all_fail_alike_and_cost_a_hash(
    s: Services,
) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    s.add_user("locked@example.com", password=PASSWORD)
    s.add_user("off@example.com", password=PASSWORD)
    await s.operator_locks("locked@example.com", s.clock() + timedelta(hours=1))
    await s.operator_sets_status("off@example.com", UserStatus.DISABLED)

    errors = []
    for email, password in (
        ("ann@example.com", "wrong guess"),
        ("nobody@example.com", PASSWORD),
        ("locked@example.com", "wrong guess"),
        ("off@example.com", PASSWORD),
    ):
        verified_before = s.hasher.verified
        with pytest.raises(AuthenticationFailed) as error:
            await sign_in(s, email, password)
        assert s.hasher.verified == verified_before + 1
        errors.append((type(error.value), error.value.code, error.value.message))

    assert len(set(errors)) == 1
    assert errors[0][1] == "bad_credentials"
    assert s.sessions.sessions == {}
    reasons = sorted((e.email, e.reason, e.user_id is None) for e in s.db.login_events)
    assert reasons == [
        ("ann@example.com", "bad_credentials", False),
        ("locked@example.com", "locked", False),
        ("nobody@example.com", "bad_credentials", True),
        ("off@example.com", "disabled", False),
    ]


async def test_only_the_right_password_learns_that_the_account_is_locked_and_until_when(
    s: Services,
) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    until = s.clock() + timedelta(hours=1)
    await s.operator_locks("ann@example.com", until)

    with pytest.raises(AuthenticationFailed) as wrong:
        await sign_in(s, "ann@example.com", "wrong guess")
    with pytest.raises(AuthenticationFailed) as right:
        await sign_in(s, "ann@example.com", PASSWORD)

    assert wrong.value.code == "bad_credentials"
    assert right.value.code == "account_locked"
    assert f"{until:%Y-%m-%d %H:%M} UTC" in right.value.message
    assert "the mail we sent you has a link" in right.value.message
    assert s.sessions.sessions == {}


async def test_ten_failures_in_15_minutes_lock_for_15_minutes_and_mail_an_unlock_link(
    s: Services,
) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)

    for _ in range(9):
        s.clock.advance(minutes=1)
        await failing_sign_in(s, "ann@example.com", "wrong guess")
    assert not s.db.users[user.id].is_locked(s.clock())
    assert outbox(s, "ann@example.com") == []
    await failing_sign_in(s, "ann@example.com", "wrong guess")

    locked = s.db.users[user.id]
    assert locked.locked_until == s.clock() + timedelta(minutes=15)
    mail = the_mail(s, "ann@example.com", "account_locked")
    token_from(mail, "/unlock")
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "account_locked"
    await failing_sign_in(s, "ann@example.com", "wrong guess")
    assert len(outbox(s, "ann@example.com", "account_locked")) == 1  # one lock, one mail

    s.clock.advance(minutes=14, seconds=59)
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "account_locked"
    s.clock.advance(seconds=1)
    await sign_in(s, "ann@example.com")


async def test_failures_spread_over_more_than_15_minutes_do_not_lock(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    for _ in range(9):
        await failing_sign_in(s, "ann@example.com", "wrong guess")
    s.clock.advance(minutes=15, seconds=1)
    for _ in range(9):
        await failing_sign_in(s, "ann@example.com", "wrong guess")

    assert not s.db.users[user.id].is_locked(s.clock())
    await sign_in(s, "ann@example.com")


async def test_the_unlock_link_unlocks_once(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    for _ in range(10):
        await failing_sign_in(s, "ann@example.com", "wrong guess")
    token = token_from(the_mail(s, "ann@example.com", "account_locked"), "/unlock")

    unlocked = await s.accounts.unlock(token)

    assert not unlocked.is_locked(s.clock())
    await sign_in(s, "ann@example.com")
    with pytest.raises(ValidationError) as again:
        await s.accounts.unlock(token)
    assert again.value.code == "link_invalid"


async def test_a_lockout_does_not_sign_the_owner_out_but_an_operator_lock_does(
    s: Services,
) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    owner = await sign_in(s, "ann@example.com")

    for _ in range(10):
        await failing_sign_in(s, "ann@example.com", "attacker guess")

    assert await s.accounts.user_for_session(owner) is not None
    await s.operator_locks("ann@example.com", s.clock() + timedelta(days=1))
    assert await s.accounts.user_for_session(owner) is None
    assert s.sessions.sessions == {}


async def test_sign_in_is_rate_limited_per_address_and_per_account(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    limit, window = s.accounts.policy.sign_in_limit

    for i in range(limit):
        await failing_sign_in(s, f"guess{i}@example.com", "x", client=Client(ip="192.0.2.1"))
    with pytest.raises(RateLimited) as per_address:
        await sign_in(s, "ann@example.com", client=Client(ip="192.0.2.1"))
    assert per_address.value.retry_after == window
    assert per_address.value.code == "rate_limited"
    await sign_in(s, "ann@example.com", client=Client(ip="192.0.2.2"))

    for i in range(limit - 1):
        await failing_sign_in(s, "ann@example.com", "x", client=Client(ip=f"198.51.100.{i}"))
    with pytest.raises(RateLimited):
        await sign_in(s, "ann@example.com", client=Client(ip="198.51.100.250"))
    await failing_sign_in(s, "other@example.com", "x", client=Client(ip="198.51.100.251"))


async def test_a_rate_limited_sign_in_costs_no_hash_and_counts_no_failure(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    s.limits.limit_all = True

    with pytest.raises(RateLimited):
        await sign_in(s, "ann@example.com", "wrong guess")

    assert s.hasher.verified == 0
    assert s.db.login_events == []


async def test_refused_sign_ups_never_count_against_the_limit(s: Services) -> None:
    client = Client(ip="192.0.2.7")
    for _ in range(s.accounts.policy.address_email_limit[0] + 3):
        with pytest.raises(ValidationError):
            await s.accounts.register(
                name="A",
                email="a@example.com",
                password="short",
                terms_accepted=True,
                client=client,
            )
        await s.accounts.forgot_password(email="not an email", client=client)

    await s.accounts.register(
        name="A", email="a@example.com", password=PASSWORD, terms_accepted=True, client=client
    )
    assert [m.kind for m in s.db.outbox.values()] == ["verify_email"]


async def test_a_classroom_behind_one_address_can_sign_up(s: Services) -> None:
    classroom = Client(ip="192.0.2.30")
    for pupil in range(30):
        await s.accounts.register(
            name="Pupil",
            email=f"pupil{pupil}@school.example",
            password=PASSWORD,
            terms_accepted=True,
            client=classroom,
        )
    assert len(s.db.outbox) == 30


@pytest.mark.parametrize("kind", ["register", "resend", "forgot"])
async def test_mail_sending_is_rate_limited_per_address_and_per_account(
    s: Services, kind: str
) -> None:
    limit, window = s.accounts.policy.address_email_limit

    async def ask(email: str, ip: str) -> None:
        client = Client(ip=ip)
        if kind == "register":
            await s.accounts.register(
                name="A", email=email, password=PASSWORD, terms_accepted=True, client=client
            )
        elif kind == "resend":
            await s.accounts.resend_verification(email=email, client=client)
        else:
            await s.accounts.forgot_password(email=email, client=client)

    for i in range(limit):
        await ask(f"a{i}@example.com", "192.0.2.1")
    with pytest.raises(RateLimited) as per_address:
        await ask("fresh@example.com", "192.0.2.1")
    assert per_address.value.retry_after == window

    limit, window = s.accounts.policy.email_limit
    s.add_user("ann@example.com", verified=False)
    for i in range(limit):
        await ask("ann@example.com", f"198.51.100.{i}")
    mailed = len(s.db.outbox)
    with pytest.raises(RateLimited):
        await ask("ann@example.com", "198.51.100.99")
    assert len(s.db.outbox) == mailed


# --- second factor hook (A6) -------------------------------------------------------------------


async def two_factor_user(s: Services) -> tuple[User, str]:
    """Ann, with two-factor sign-in turned on through the platform, and her TOTP secret."""
    user = s.add_user("ann@example.com", password=PASSWORD)
    started = await s.accounts.start_session(
        user, client=CLIENT, remember_me=False, method=SignInMethod.PASSWORD
    )
    two_factor = s.platform.accounts.two_factor
    setup = await two_factor.begin_setup(user, started.session)
    await two_factor.confirm_setup(user, pyotp.TOTP(setup.secret).at(s.clock()))
    s.clock.advance(minutes=16)  # past the setup's code and its attempts (a 15-minute window)
    s.limits.hits.clear()  # the fake limiter keeps no time: the setup's window is over
    return user, setup.secret


async def test_with_two_factor_the_password_alone_starts_no_session(s: Services) -> None:
    _, secret = await two_factor_user(s)
    sessions = dict(s.sessions.sessions)
    code = pyotp.TOTP(secret).at(s.clock())

    with pytest.raises(SecondFactorRequired):
        await s.accounts.sign_in(email="ann@example.com", password=PASSWORD, client=CLIENT)
    assert s.sessions.sessions == sessions
    with pytest.raises(AuthenticationFailed) as wrong_password:
        await s.accounts.sign_in(
            email="ann@example.com", password="wrong", otp_code=code, client=CLIENT
        )
    assert wrong_password.value.code == "bad_credentials"
    assert s.sessions.sessions == sessions

    # The code is not even looked at without the password: a code signs in once, and
    # this one still does.
    signed_in = await s.accounts.sign_in(
        email="ann@example.com", password=PASSWORD, otp_code=code, client=CLIENT
    )
    assert signed_in.session.method == "totp"
    assert s.db.login_events[-1].method == "totp"


async def test_wrong_second_factor_codes_count_towards_the_lockout(s: Services) -> None:
    user, secret = await two_factor_user(s)
    wrong = f"{(int(pyotp.TOTP(secret).at(s.clock())) + 1) % 1_000_000:06d}"

    for _ in range(10):
        with pytest.raises(AuthenticationFailed) as error:
            await s.accounts.sign_in(
                email="ann@example.com", password=PASSWORD, otp_code=wrong, client=CLIENT
            )
        assert error.value.code == "bad_second_factor"

    assert s.db.users[user.id].is_locked(s.clock())
    assert the_mail(s, "ann@example.com", "account_locked")
