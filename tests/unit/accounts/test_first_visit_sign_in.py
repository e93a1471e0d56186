"""The first visit's account rules on the fakes: sign-up hands back the new account (so
the web form can sign it in at once), and a password proved for an account with 2FA is
held, sealed and short-lived, so the next step asks for the code alone."""

from __future__ import annotations

import pyotp
import pytest

from tests.unit.accounts.steps import CLIENT, PASSWORD, sign_up
from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.held_sign_ins import SecondFactorPending
from voiceqr.application.accounts.policy import SecondFactorRequired, hash_token
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import AuthenticationFailed

EMAIL = "gus@example.com"


@pytest.fixture
def s() -> Services:
    return make_services()


async def test_sign_up_hands_back_the_new_unverified_account(s: Services) -> None:
    user = await s.accounts.register(
        name="Nina", email="Nina@Example.com", password=PASSWORD, terms_accepted=True, client=CLIENT
    )

    assert user is not None
    assert user.email == "nina@example.com"
    assert not user.is_verified
    assert s.db.users[user.id].email == user.email


async def test_sign_up_with_a_taken_address_hands_back_no_account(s: Services) -> None:
    s.add_user(EMAIL, password=PASSWORD)

    taken = await s.accounts.register(
        name="Mallory", email=EMAIL, password=PASSWORD, terms_accepted=True, client=CLIENT
    )

    assert taken is None


async def test_a_new_account_link_says_it_confirmed_a_new_account(s: Services) -> None:
    token = await sign_up(s, "nina@example.com")

    confirmed = await s.accounts.confirm_email(token, client=CLIENT)

    assert confirmed.new_account
    assert confirmed.user.is_verified


async def with_two_factor(s: Services) -> tuple[User, pyotp.TOTP]:
    user = s.add_user(EMAIL, password=PASSWORD)
    session = await s.accounts.start_session(
        user, client=CLIENT, remember_me=False, method=SignInMethod.PASSWORD
    )
    setup = await s.platform.accounts.two_factor.begin_setup(user, session.session)
    totp = pyotp.TOTP(setup.secret)
    await s.platform.accounts.two_factor.confirm_setup(user, totp.at(s.clock()))
    return user, totp


async def password_step(s: Services) -> User:
    with pytest.raises(SecondFactorRequired) as asked:
        await s.accounts.sign_in(email=EMAIL, password=PASSWORD, client=CLIENT)
    assert asked.value.user is not None
    return asked.value.user


async def held_password(
    s: Services, *, remember_me: bool = False, next: str = "/"
) -> tuple[SecondFactorPending, pyotp.TOTP]:
    """A 2FA account's right password, held for the code step as the sign-in form does."""
    _, totp = await with_two_factor(s)
    held = s.platform.accounts.held_sign_ins.hold_for_second_factor(
        await password_step(s), method=SignInMethod.PASSWORD, remember_me=remember_me, next=next
    )
    return held, totp


async def test_the_right_password_of_a_2fa_account_names_the_account_for_the_code_step(
    s: Services,
) -> None:
    user, _ = await with_two_factor(s)

    assert (await password_step(s)).id == user.id


async def test_a_wrong_password_of_a_2fa_account_asks_for_no_code(s: Services) -> None:
    await with_two_factor(s)

    with pytest.raises(AuthenticationFailed) as refused:
        await s.accounts.sign_in(email=EMAIL, password="not the password", client=CLIENT)

    assert not isinstance(refused.value, SecondFactorRequired)


async def test_a_held_password_step_and_the_code_sign_in_once_known_by_the_code(
    s: Services,
) -> None:
    held, totp = await held_password(s, remember_me=True, next="/profile")
    held_sign_ins = s.platform.accounts.held_sign_ins
    s.clock.advance(seconds=30)

    done = await held_sign_ins.complete_second_factor(
        held.sealed, client=CLIENT, otp_code=totp.at(s.clock())
    )

    assert (done.next, done.remember_me) == ("/profile", True)
    session = s.sessions.sessions[hash_token(done.sign_in.token)]
    assert session.method == SignInMethod.TOTP
    s.clock.advance(seconds=30)
    with pytest.raises(AuthenticationFailed) as replayed:  # a copy of the cookie is spent
        await held_sign_ins.complete_second_factor(
            held.sealed, client=CLIENT, otp_code=totp.at(s.clock())
        )
    assert replayed.value.code == "oidc_state_replayed"


async def test_a_held_password_step_expires_after_five_minutes(s: Services) -> None:
    held, totp = await held_password(s)
    held_sign_ins = s.platform.accounts.held_sign_ins
    s.clock.advance(minutes=5, seconds=1)

    with pytest.raises(AuthenticationFailed) as refused:
        await held_sign_ins.complete_second_factor(
            held.sealed, client=CLIENT, otp_code=totp.at(s.clock())
        )

    assert refused.value.code == "oidc_second_factor_expired"


async def test_a_tampered_held_step_signs_nobody_in(s: Services) -> None:
    held, totp = await held_password(s)
    held_sign_ins = s.platform.accounts.held_sign_ins
    body, _, mac = held.sealed.partition(".")

    with pytest.raises(AuthenticationFailed):
        await held_sign_ins.complete_second_factor(
            f"{body}x.{mac}", client=CLIENT, otp_code=totp.at(s.clock())
        )
