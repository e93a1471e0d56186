"""Two-factor sign-in (A6) on fakes: setup, TOTP at sign-in, recovery codes, turning it off.

The clock is a FakeClock, so the tests make the codes an authenticator app would show
at a given moment with `pyotp.TOTP(secret).at(moment)`.
"""

from __future__ import annotations

import asyncio
import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.fakes import Services, make_services
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.policy import (
    Client,
    ReauthenticationRequired,
    SecondFactorRequired,
    SignIn,
    hash_token,
)
from voiceqr.application.accounts.two_factor import (
    RECOVERY_CODE_ALPHABET,
    TwoFactor,
    normalize_recovery_code,
)
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    ErrorCategory,
    PermissionDenied,
    RateLimited,
    ValidationError,
)

CLIENT = Client(ip="203.0.113.7", user_agent="pytest")
PASSWORD = "correct horse battery"
EMAIL = "ann@example.com"
STEP = timedelta(seconds=30)
RECOVERY_CODE = re.compile(r"^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$")


class FakeSecretBox:
    """Reversible but never the identity, and it notices text it did not seal."""

    PREFIX = "sealed:"

    def encrypt(self, plaintext: str) -> str:
        return self.PREFIX + base64.b64encode(plaintext[::-1].encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        if not ciphertext.startswith(self.PREFIX):
            raise DomainError("A stored secret cannot be read.", code="secret_unreadable")
        return base64.b64decode(ciphertext.removeprefix(self.PREFIX)).decode()[::-1]


@dataclass
class World:
    s: Services
    box: FakeSecretBox
    two_factor: TwoFactor
    accounts: Accounts  # with the second factor wired in, as bootstrap.build does
    user: User

    def now(self) -> datetime:
        return self.s.clock()

    def stored(self) -> User:
        return self.s.db.users[self.user.id]

    async def sign_in(
        self,
        password: str = PASSWORD,
        *,
        otp_code: str | None = None,
        recovery_code: str | None = None,
    ) -> SignIn:
        return await self.accounts.sign_in(
            client=CLIENT,
            email=EMAIL,
            password=password,
            otp_code=otp_code,
            recovery_code=recovery_code,
        )

    async def session(self) -> Session:
        """A session started just now (so within the re-authentication window)."""
        started = await self.accounts.start_session(
            self.stored(), client=CLIENT, remember_me=False, method=SignInMethod.PASSWORD
        )
        return started.session

    async def enable(self) -> tuple[str, list[str]]:
        """Two-factor sign-in turned on; the secret and the recovery codes."""
        setup = await self.two_factor.begin_setup(self.user, await self.session())
        codes = await self.two_factor.confirm_setup(self.user, code_at(setup.secret, self.now()))
        return setup.secret, codes


def make_world() -> World:
    box = FakeSecretBox()
    s = make_services(secret_box=box)
    two_factor = s.platform.accounts.two_factor
    return World(s, box, two_factor, s.accounts, s.add_user(EMAIL, password=PASSWORD))


@pytest.fixture
def w() -> World:
    return make_world()


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


# --- setting it up -----------------------------------------------------------------------


async def test_setup_gives_a_secret_an_otpauth_uri_and_its_qr_code(w: World) -> None:
    setup = await w.two_factor.begin_setup(w.user, await w.session())

    assert re.fullmatch(r"[A-Z2-7]{32}", setup.secret)  # 160 bits
    uri = pyotp.parse_uri(setup.otpauth_uri)
    assert isinstance(uri, pyotp.TOTP)
    assert (uri.secret, uri.issuer, uri.name) == (setup.secret, "voiceqr", EMAIL)
    assert (uri.interval, uri.digits) == (30, 6)
    assert w.s.qr.drawn[-1][:2] == ("svg", setup.otpauth_uri)
    assert setup.qr_svg.startswith("<svg")


async def test_setup_changes_nothing_at_sign_in_until_a_code_confirms_it(w: World) -> None:
    await w.two_factor.begin_setup(w.user, await w.session())

    status = await w.two_factor.status(w.user)
    assert (status.enabled, status.pending_setup, status.recovery_codes_left) == (False, True, 0)
    assert (await w.sign_in()).session.method == "password"


async def test_the_secret_is_stored_sealed_not_as_it_is(w: World) -> None:
    setup = await w.two_factor.begin_setup(w.user, await w.session())

    stored = w.stored().totp_secret
    assert stored is not None
    assert stored != setup.secret
    assert setup.secret not in stored
    assert w.box.decrypt(stored) == setup.secret


async def test_setup_needs_the_password_within_five_minutes(w: World) -> None:
    session = await w.session()
    w.s.clock.advance(minutes=5, seconds=1)

    with pytest.raises(ReauthenticationRequired) as raised:
        await w.two_factor.begin_setup(w.user, session)
    assert raised.value.category is ErrorCategory.PERMISSION
    assert raised.value.code == "reauthentication_required"
    assert w.stored().totp_secret is None

    await w.accounts.reauthenticate(w.user, session, PASSWORD)
    session = w.s.sessions.sessions[session.token_hash]
    assert (await w.two_factor.begin_setup(w.user, session)).secret


async def test_a_session_of_another_account_cannot_set_it_up(w: World) -> None:
    other = w.s.add_user("bob@example.com", password=PASSWORD)
    session = await w.session()

    with pytest.raises(PermissionDenied):
        await w.two_factor.begin_setup(other, session)


async def test_a_wrong_code_leaves_it_off(w: World) -> None:
    setup = await w.two_factor.begin_setup(w.user, await w.session())
    wrong = f"{(int(code_at(setup.secret, w.now())) + 1) % 1_000_000:06d}"

    for code in (wrong, "", "12345", "abcdef", "1234567"):
        with pytest.raises(ValidationError) as raised:
            await w.two_factor.confirm_setup(w.user, code)
        assert raised.value.code == "bad_code"
    assert not w.stored().has_two_factor
    assert w.s.db.recovery_codes == {}


async def test_confirming_needs_a_setup_first(w: World) -> None:
    with pytest.raises(Conflict) as raised:
        await w.two_factor.confirm_setup(w.user, "123456")
    assert raised.value.code == "two_factor_setup_not_started"


async def test_confirming_turns_it_on_and_gives_ten_recovery_codes_of_80_bits(w: World) -> None:
    setup = await w.two_factor.begin_setup(w.user, await w.session())

    codes = await w.two_factor.confirm_setup(w.user, code_at(setup.secret, w.now()))

    assert len(codes) == len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes)
    assert len(RECOVERY_CODE_ALPHABET) ** 16 == 2**80
    stored = sorted(c.code_hash for c in w.s.db.recovery_codes.values())
    assert stored == sorted(hash_token(c.replace("-", "")) for c in codes)  # hashes only
    assert w.stored().has_two_factor
    assert w.stored().totp_enabled_at == w.now()
    status = await w.two_factor.status(w.user)
    assert (status.enabled, status.pending_setup, status.recovery_codes_left) == (True, False, 10)


async def test_setting_up_again_while_on_is_refused(w: World) -> None:
    await w.enable()

    with pytest.raises(Conflict) as raised:
        await w.two_factor.begin_setup(w.user, await w.session())
    assert raised.value.code == "two_factor_on"


async def test_the_pending_setup_can_be_shown_again_while_the_password_is_fresh(
    w: World,
) -> None:
    session = await w.session()
    setup = await w.two_factor.begin_setup(w.user, session)

    assert await w.two_factor.pending_setup(w.user, session) == setup
    w.s.clock.advance(minutes=6)
    with pytest.raises(ReauthenticationRequired):
        await w.two_factor.pending_setup(w.user, session)


# --- signing in with a code --------------------------------------------------------------


async def test_with_it_on_the_password_alone_asks_for_a_code(w: World) -> None:
    await w.enable()

    with pytest.raises(SecondFactorRequired):
        await w.sign_in()


@pytest.mark.parametrize("steps", [-1, 0, 1])
async def test_a_code_one_step_either_side_of_now_signs_in(w: World, steps: int) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)

    signed_in = await w.sign_in(otp_code=code_at(secret, w.now() + steps * STEP))

    assert signed_in.session.method == SignInMethod.TOTP


@pytest.mark.parametrize("steps", [-3, -2, 2, 3])
async def test_a_code_two_or_more_steps_off_is_refused(w: World, steps: int) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)

    with pytest.raises(AuthenticationFailed) as raised:
        await w.sign_in(otp_code=code_at(secret, w.now() + steps * STEP))
    assert raised.value.code == "bad_second_factor"


@settings(max_examples=60, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    steps=st.integers(min_value=-4, max_value=4),
)
def test_a_code_is_accepted_exactly_within_one_step_of_now(moment: datetime, steps: int) -> None:
    async def scenario() -> None:
        w = make_world()
        w.s.clock.set(moment)
        secret, _ = await w.enable()
        w.s.clock.advance(minutes=5)
        code = code_at(secret, w.now() + steps * STEP)
        near = {code_at(secret, w.now() + k * STEP) for k in (-1, 0, 1)}
        if abs(steps) <= 1:
            assert (await w.sign_in(otp_code=code)).session.method == SignInMethod.TOTP
        elif code not in near:  # a far step's code equals a near one's 3 times in a million
            with pytest.raises(AuthenticationFailed):
                await w.sign_in(otp_code=code)

    asyncio.run(scenario())


async def test_a_code_is_accepted_once(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    code = code_at(secret, w.now())
    await w.sign_in(otp_code=code)

    with pytest.raises(AuthenticationFailed) as raised:
        await w.sign_in(otp_code=code)
    assert raised.value.code == "bad_second_factor"


async def test_after_a_code_is_used_an_older_one_is_refused_too(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    await w.sign_in(otp_code=code_at(secret, w.now() + STEP))

    for steps in (0, -1):
        with pytest.raises(AuthenticationFailed):
            await w.sign_in(otp_code=code_at(secret, w.now() + steps * STEP))
    w.s.clock.advance(seconds=60)
    assert await w.sign_in(otp_code=code_at(secret, w.now()))


async def test_the_code_that_confirmed_the_setup_cannot_sign_in(w: World) -> None:
    secret, _ = await w.enable()

    with pytest.raises(AuthenticationFailed):
        await w.sign_in(otp_code=code_at(secret, w.now()))


async def test_a_password_rehash_at_sign_in_does_not_undo_the_used_step(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    w.s.hasher.scheme = "fake2"  # the stored hash is outdated: sign-in saves a new one
    code = code_at(secret, w.now())
    await w.sign_in(otp_code=code)
    assert (w.stored().password_hash or "").startswith("$fake2$")

    with pytest.raises(AuthenticationFailed):
        await w.sign_in(otp_code=code)


async def test_codes_may_be_typed_with_spaces(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    code = code_at(secret, w.now())

    assert await w.sign_in(otp_code=f" {code[:3]} {code[3:]} ")


async def test_a_wrong_code_counts_as_a_failed_sign_in(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    wrong = f"{(int(code_at(secret, w.now())) + 1) % 1_000_000:06d}"

    with pytest.raises(AuthenticationFailed):
        await w.sign_in(otp_code=wrong)

    last = w.s.db.login_events[-1]
    assert (last.success, last.reason) == (False, "bad_second_factor")


# --- recovery codes ----------------------------------------------------------------------


async def test_a_recovery_code_signs_in_once(w: World) -> None:
    _, codes = await w.enable()

    signed_in = await w.sign_in(recovery_code=codes[0])
    assert signed_in.session.method == SignInMethod.RECOVERY_CODE
    assert (await w.two_factor.status(w.user)).recovery_codes_left == 9

    with pytest.raises(AuthenticationFailed) as raised:
        await w.sign_in(recovery_code=codes[0])
    assert raised.value.code == "bad_second_factor"


async def test_recovery_codes_may_be_typed_in_any_case_with_spaces_or_without_dashes(
    w: World,
) -> None:
    _, codes = await w.enable()

    assert await w.sign_in(recovery_code=codes[0].lower())
    assert await w.sign_in(recovery_code=" " + codes[1].replace("-", " ") + " ")
    assert await w.sign_in(recovery_code=codes[2].replace("-", ""))


@given(
    code=st.text(alphabet=RECOVERY_CODE_ALPHABET, min_size=16, max_size=16),
    cuts=st.lists(st.integers(min_value=0, max_value=16), max_size=6),
    separators=st.lists(st.sampled_from([" ", "-", "\t", "  "]), min_size=6, max_size=6),
    lower=st.lists(st.booleans(), min_size=16, max_size=16),
)
def test_normalising_a_recovery_code_ignores_separators_and_case(
    code: str, cuts: list[int], separators: list[str], lower: list[bool]
) -> None:
    typed = "".join(c.lower() if low else c for c, low in zip(code, lower, strict=True))
    for separator, cut in sorted(zip(separators, cuts, strict=False), key=lambda p: -p[1]):
        typed = typed[:cut] + separator + typed[cut:]

    assert normalize_recovery_code(typed) == code


async def test_a_wrong_recovery_code_is_refused(w: World) -> None:
    await w.enable()

    with pytest.raises(AuthenticationFailed):
        await w.sign_in(recovery_code="AAAA-AAAA-AAAA-AAAA")


async def test_new_recovery_codes_void_the_old_ones(w: World) -> None:
    _, old = await w.enable()
    session = await w.session()

    new = await w.two_factor.regenerate_recovery_codes(w.user, session)

    assert len(new) == 10
    assert not set(new) & set(old)
    with pytest.raises(AuthenticationFailed):
        await w.sign_in(recovery_code=old[1])
    assert await w.sign_in(recovery_code=new[0])
    assert (await w.two_factor.status(w.user)).recovery_codes_left == 9


async def test_new_recovery_codes_need_the_password_within_five_minutes(w: World) -> None:
    _, old = await w.enable()
    session = await w.session()
    w.s.clock.advance(minutes=6)

    with pytest.raises(ReauthenticationRequired):
        await w.two_factor.regenerate_recovery_codes(w.user, session)
    assert await w.sign_in(recovery_code=old[1])  # the old ones still work


async def test_new_recovery_codes_need_two_factor_on(w: World) -> None:
    with pytest.raises(Conflict) as raised:
        await w.two_factor.regenerate_recovery_codes(w.user, await w.session())
    assert raised.value.code == "two_factor_off"


# --- turning it off ----------------------------------------------------------------------


async def test_turning_it_off_needs_the_password(w: World) -> None:
    await w.enable()
    session = await w.session()

    with pytest.raises(AuthenticationFailed) as raised:
        await w.two_factor.disable(w.user, session, "not the password")
    assert raised.value.code == "bad_password"
    assert w.stored().has_two_factor

    await w.two_factor.disable(w.user, session, PASSWORD)

    stored = w.stored()
    assert (stored.totp_secret, stored.totp_enabled_at, stored.totp_last_step) == (None,) * 3
    assert w.s.db.recovery_codes == {}
    assert (await w.sign_in()).session.method == "password"
    assert (await w.two_factor.status(w.user)).enabled is False


async def test_the_password_typed_to_turn_it_off_is_a_fresh_proof(w: World) -> None:
    await w.enable()
    session = await w.session()
    w.s.clock.advance(hours=1)  # long past the re-authentication window

    await w.two_factor.disable(w.user, session, PASSWORD)

    assert not w.stored().has_two_factor


# --- guessing --------------------------------------------------------------------------


async def test_guessing_codes_at_setup_is_rate_limited_per_account(w: World) -> None:
    setup = await w.two_factor.begin_setup(w.user, await w.session())
    wrong = f"{(int(code_at(setup.secret, w.now())) + 1) % 1_000_000:06d}"
    attempts, _ = w.two_factor.policy.attempts
    for _ in range(attempts):
        with pytest.raises(ValidationError):
            await w.two_factor.confirm_setup(w.user, wrong)

    with pytest.raises(RateLimited):
        await w.two_factor.confirm_setup(w.user, code_at(setup.secret, w.now()))


async def test_guessing_codes_at_sign_in_locks_the_account(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    right = code_at(secret, w.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    w.s.limits.hits.clear()  # a new rate-limit window (the fake limiter has none)
    for _ in range(w.accounts.policy.lockout_failures):
        with pytest.raises(AuthenticationFailed):
            await w.sign_in(otp_code=wrong)

    assert w.stored().is_locked(w.now())
    with pytest.raises(AuthenticationFailed):
        await w.sign_in(otp_code=right)


async def test_guessing_codes_at_sign_in_is_rate_limited_per_account(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    attempts, _ = w.two_factor.policy.attempts
    w.s.limits.hits[f"2fa:user:{w.user.id}"] = attempts  # e.g. guesses from many addresses

    with pytest.raises(RateLimited):
        await w.sign_in(otp_code=code_at(secret, w.now()))


async def test_a_secret_that_was_tampered_with_is_an_error_not_a_pass(w: World) -> None:
    secret, _ = await w.enable()
    w.s.clock.advance(minutes=10)
    w.s.db.users[w.user.id].totp_secret = "tampered"

    with pytest.raises(DomainError) as raised:
        await w.sign_in(otp_code=code_at(secret, w.now()))
    assert raised.value.code == "secret_unreadable"
