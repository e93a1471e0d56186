"""Self-service accounts at the application level (A1-A4, A7-A9, P1, F5), on the fakes."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.fakes import PUBLIC_BASE_URL, Services, make_services
from voiceqr.application.accounts.accounts import Accounts
from voiceqr.application.accounts.policy import (
    AccountPolicy,
    Client,
    RateLimited,
    ReauthenticationRequired,
    SecondFactorRequired,
    hash_token,
)
from voiceqr.application.accounts.ports import AccountsUnitOfWork
from voiceqr.application.mail.notifications import MailDelivery, Notifications
from voiceqr.domain.accounts.activity import SignInMethod
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.tokens import TokenPurpose
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage, OutboxStatus
from voiceqr.domain.shared.errors import (
    AuthenticationFailed,
    ErrorCategory,
    ExternalServiceError,
    NotFound,
    PermissionDenied,
    ValidationError,
)

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"
CLIENT = Client(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
PHONE = Client(ip="198.51.100.4", user_agent="Mozilla/5.0 (iPhone) Mobile/15E148 Safari/604.1")


@pytest.fixture
def s() -> Services:
    return make_services()


# --- helpers ----------------------------------------------------------------------------


def outbox(s: Services, to: str | None = None, kind: str | None = None) -> list[OutboxMessage]:
    """Committed outbox mail, oldest first."""
    found = [
        m
        for m in s.db.outbox.values()
        if (to is None or m.to == to) and (kind is None or m.kind == kind)
    ]
    return sorted(found, key=lambda m: (m.created_at, m.id))


def the_mail(s: Services, to: str, kind: str) -> OutboxMessage:
    found = outbox(s, to, kind)
    assert len(found) == 1, [(m.to, m.kind) for m in outbox(s)]
    return found[0]


def token_from(message: OutboxMessage, path: str) -> str:
    (link,) = re.findall(r"https?://\S+", message.text)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_BASE_URL
    assert parts.path == path
    assert link in message.html
    return str(parse_qs(parts.query)["token"][0])


async def sign_up(s: Services, email: str = "ada@example.com", **changes: object) -> str:
    """Register and return the verification token from the mail."""
    values: dict[str, object] = {
        "name": "Ada",
        "email": email,
        "password": PASSWORD,
        "terms_accepted": True,
        "client": CLIENT,
    }
    values.update(changes)
    await s.accounts.register(**values)  # type: ignore[arg-type]
    return token_from(the_mail(s, email.strip().lower(), "verify_email"), "/verify-email")


async def sign_in(s: Services, email: str, password: str = PASSWORD, **kw: object) -> str:
    signed_in = await s.accounts.sign_in(
        email=email,
        password=password,
        client=kw.pop("client", CLIENT),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return signed_in.token


async def failing_sign_in(s: Services, email: str, password: str, **kw: object) -> str:
    with pytest.raises(AuthenticationFailed) as error:
        await sign_in(s, email, password, **kw)
    return error.value.code


async def current_session(s: Services, token: str) -> Session:
    found = await s.accounts.session_user(token)
    assert found is not None
    return found[1]


def stored_user(s: Services, email: str) -> User:
    (user,) = [u for u in s.db.users.values() if u.email == email]
    return user


# --- sign-up and verification (A1, A3) ---------------------------------------------------


async def test_sign_up_stores_an_unverified_account_and_mails_a_hashed_48_hour_token(
    s: Services,
) -> None:
    token = await sign_up(s, " Ada@Example.COM ", name="  Ada   Lovelace ")

    user = stored_user(s, "ada@example.com")
    assert user.name == "Ada Lovelace"
    assert not user.is_verified
    assert user.terms_accepted_at == user.created_at == s.clock()
    assert user.password_hash == s.hasher.make(PASSWORD)
    (stored,) = s.db.account_tokens.values()
    assert stored.purpose is TokenPurpose.VERIFY_EMAIL
    assert stored.token_hash == hash_token(token)  # only the hash is kept
    assert token not in repr(s.db.account_tokens)
    assert stored.expires_at == s.clock() + timedelta(hours=48)
    assert len(token) >= 43  # 256 random bits
    mail = the_mail(s, "ada@example.com", "verify_email")
    assert mail.subject == "Confirm your email address"
    assert "Hello Ada Lovelace," in mail.text
    assert mail.status is OutboxStatus.PENDING


async def test_verifying_confirms_the_account_once_and_sends_a_welcome(s: Services) -> None:
    token = await sign_up(s)
    s.clock.advance(hours=47)

    user = await s.accounts.verify_email(token)

    assert user.is_verified
    assert stored_user(s, "ada@example.com").email_verified_at == s.clock()
    welcome = the_mail(s, "ada@example.com", "welcome")
    assert f"{PUBLIC_BASE_URL}/generations/new" in welcome.text
    with pytest.raises(ValidationError) as again:
        await s.accounts.verify_email(token)
    assert again.value.code == "link_invalid"
    assert len(outbox(s, kind="welcome")) == 1


async def test_a_verification_link_expires_after_48_hours(s: Services) -> None:
    token = await sign_up(s)
    s.clock.advance(hours=48)

    with pytest.raises(ValidationError) as error:
        await s.accounts.verify_email(token)

    assert error.value.code == "link_invalid"
    assert not stored_user(s, "ada@example.com").is_verified


@pytest.mark.parametrize("token", ["", "made-up", "x" * 43])
async def test_an_unknown_link_is_invalid(s: Services, token: str) -> None:
    with pytest.raises(ValidationError) as error:
        await s.accounts.verify_email(token)
    assert error.value.code == "link_invalid"


async def test_a_token_of_another_purpose_does_not_verify(s: Services) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    await s.accounts.forgot_password(email="ann@example.com", client=CLIENT)
    reset = token_from(the_mail(s, "ann@example.com", "reset_password"), "/reset-password")

    with pytest.raises(ValidationError):
        await s.accounts.verify_email(reset)
    with pytest.raises(ValidationError):
        await s.accounts.unlock(reset)

    await s.accounts.reset_password(token=reset, password=NEW_PASSWORD)  # still usable


async def test_signing_up_with_a_taken_email_looks_the_same_and_tells_the_owner(
    s: Services,
) -> None:
    owner = s.add_user("ann@example.com", password=PASSWORD, name="Ann")
    before = dict(s.db.users)

    await s.accounts.register(  # no error: the same (empty) answer as a new sign-up
        name="Mallory",
        email="ANN@example.com",
        password=NEW_PASSWORD,
        terms_accepted=True,
        client=CLIENT,
    )

    assert s.db.users == before
    assert s.db.account_tokens == {}
    attempt = the_mail(s, "ann@example.com", "signup_attempt")
    assert "Hello Ann," in attempt.text
    assert f"{PUBLIC_BASE_URL}/forgot-password" in attempt.text
    assert outbox(s, kind="verify_email") == []
    assert s.db.users[owner.id].password_hash == s.hasher.make(PASSWORD)


async def test_a_taken_email_still_costs_a_password_hash(s: Services) -> None:
    """Both answers hash the password, so they take about as long."""
    s.add_user("ann@example.com")
    hashed: list[str] = []
    original = s.hasher.hash

    async def counting(password: str) -> str:
        hashed.append(password)
        return await original(password)

    s.hasher.hash = counting  # type: ignore[method-assign]
    for email in ("ann@example.com", "new@example.com"):
        await s.accounts.register(
            name="X", email=email, password=PASSWORD, terms_accepted=True, client=CLIENT
        )
    assert hashed == [PASSWORD, PASSWORD]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"terms_accepted": False}, "terms_required"),
        ({"password": "short"}, "password_too_short"),
        ({"password": "password1"}, "password_common"),
        ({"password": "Sunshine"}, "password_common"),
        ({"password": "y" * 1025}, "password_too_long"),
        ({"name": "   "}, "name_blank"),
        ({"email": "not-an-email"}, "email_invalid"),
    ],
)
async def test_a_bad_sign_up_stores_and_mails_nothing(
    s: Services, changes: dict[str, object], code: str
) -> None:
    values: dict[str, object] = {
        "name": "Ada",
        "email": "ada@example.com",
        "password": PASSWORD,
        "terms_accepted": True,
        "client": CLIENT,
    }
    values.update(changes)

    with pytest.raises(ValidationError) as error:
        await s.accounts.register(**values)  # type: ignore[arg-type]

    assert error.value.code == code
    assert s.db.users == {}
    assert s.db.outbox == {}
    assert s.db.account_tokens == {}


async def test_passwords_are_taken_exactly_as_typed(s: Services) -> None:
    await sign_up(s, password="  eight ch  ")
    await sign_in(s, "ada@example.com", "  eight ch  ")
    assert await failing_sign_in(s, "ada@example.com", "eight ch") == "bad_credentials"


async def test_unverified_accounts_sign_in_but_cannot_make_generations(s: Services) -> None:
    voice = s.add_voice()
    token = await sign_up(s)
    await sign_in(s, "ada@example.com")
    user = stored_user(s, "ada@example.com")

    with pytest.raises(PermissionDenied) as error:
        await s.generations.request(user, text="Hello", voice_id=voice.id)
    assert error.value.code == "email_unverified"
    assert s.db.generations == {}

    verified = await s.accounts.verify_email(token)
    generation = await s.generations.request(verified, text="Hello", voice_id=voice.id)
    assert generation.owner_id == user.id


async def test_resend_replaces_the_link_and_is_silent_for_anyone_else(s: Services) -> None:
    old = await sign_up(s)
    s.add_user("verified@example.com")
    s.add_user("disabled@example.com", verified=False)
    await s.accounts.set_status("disabled@example.com", UserStatus.DISABLED, actor=OPERATOR)

    for email in (
        "ada@example.com",
        "verified@example.com",
        "disabled@example.com",
        "ghost@example.com",
        "not an email",
    ):
        await s.accounts.resend_verification(email=email, client=CLIENT)  # no error

    assert outbox(s, "verified@example.com") == []
    assert outbox(s, "disabled@example.com") == []
    first, second = outbox(s, "ada@example.com", "verify_email")
    assert token_from(first, "/verify-email") == old
    new = token_from(second, "/verify-email")
    with pytest.raises(ValidationError):
        await s.accounts.verify_email(old)
    assert (await s.accounts.verify_email(new)).is_verified


# --- password recovery (A2) ------------------------------------------------------------------


async def test_a_reset_works_once_ends_every_session_and_tells_the_owner(s: Services) -> None:
    user = s.add_user("ann@example.com", password=PASSWORD)
    laptop = await sign_in(s, "ann@example.com")
    phone = await sign_in(s, "ann@example.com", client=PHONE)
    await s.accounts.forgot_password(email=" ANN@example.com", client=CLIENT)
    token = token_from(the_mail(s, "ann@example.com", "reset_password"), "/reset-password")
    assert s.db.account_tokens[next(iter(s.db.account_tokens))].expires_at == s.clock() + timedelta(
        minutes=30
    )

    with pytest.raises(ValidationError) as weak:
        await s.accounts.reset_password(token=token, password="password")
    assert weak.value.code == "password_common"
    await s.accounts.reset_password(token=token, password=NEW_PASSWORD)

    assert await s.accounts.user_for_session(laptop) is None
    assert await s.accounts.user_for_session(phone) is None
    assert s.sessions.sessions == {}
    stored = s.db.users[user.id]
    assert stored.password_hash == s.hasher.make(NEW_PASSWORD)
    assert stored.password_changed_at == s.clock()
    told = the_mail(s, "ann@example.com", "password_changed")
    assert "every other session was signed out" in told.text
    with pytest.raises(ValidationError) as again:
        await s.accounts.reset_password(token=token, password="yet another one")
    assert again.value.code == "link_invalid"
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "bad_credentials"
    await sign_in(s, "ann@example.com", NEW_PASSWORD)


async def test_a_reset_link_lasts_30_minutes_and_the_newest_replaces_older_ones(
    s: Services,
) -> None:
    s.add_user("ann@example.com", password=PASSWORD)

    async def reset_link() -> str:
        await s.accounts.forgot_password(email="ann@example.com", client=CLIENT)
        return token_from(outbox(s, "ann@example.com", "reset_password")[-1], "/reset-password")

    expired = await reset_link()
    s.clock.advance(minutes=30)
    with pytest.raises(ValidationError):
        await s.accounts.reset_password(token=expired, password=NEW_PASSWORD)

    replaced = await reset_link()
    s.clock.advance(seconds=1)
    newest = await reset_link()
    with pytest.raises(ValidationError):
        await s.accounts.reset_password(token=replaced, password=NEW_PASSWORD)
    s.clock.advance(minutes=29, seconds=59)
    await s.accounts.reset_password(token=newest, password=NEW_PASSWORD)
    await sign_in(s, "ann@example.com", NEW_PASSWORD)


async def test_forgot_password_is_silent_for_unknown_and_disabled_accounts(s: Services) -> None:
    s.add_user("gone@example.com")
    await s.accounts.set_status("gone@example.com", UserStatus.DISABLED, actor=OPERATOR)

    for email in ("ghost@example.com", "gone@example.com", "not an email"):
        await s.accounts.forgot_password(email=email, client=CLIENT)  # no error

    assert s.db.outbox == {}
    assert s.db.account_tokens == {}


async def test_a_reset_unlocks_and_proves_the_mailbox(s: Services) -> None:
    await sign_up(s)
    for _ in range(10):
        await failing_sign_in(s, "ada@example.com", "wrong guess")
    assert stored_user(s, "ada@example.com").is_locked(s.clock())
    await s.accounts.forgot_password(email="ada@example.com", client=CLIENT)
    token = token_from(the_mail(s, "ada@example.com", "reset_password"), "/reset-password")

    user = await s.accounts.reset_password(token=token, password=NEW_PASSWORD)

    assert not user.is_locked(s.clock())
    assert stored_user(s, "ada@example.com").is_verified
    await sign_in(s, "ada@example.com", NEW_PASSWORD)


# --- sign-in, lockout and unlock (A4, A8) -----------------------------------------------------


async def test_unknown_wrong_locked_and_disabled_all_fail_alike_and_cost_a_hash(
    s: Services,
) -> None:
    s.add_user("ann@example.com", password=PASSWORD)
    s.add_user("locked@example.com", password=PASSWORD)
    s.add_user("off@example.com", password=PASSWORD)
    await s.accounts.lock(
        "locked@example.com", until=s.clock() + timedelta(hours=1), actor=OPERATOR
    )
    await s.accounts.set_status("off@example.com", UserStatus.DISABLED, actor=OPERATOR)

    errors = []
    for email, password in (
        ("ann@example.com", "wrong guess"),
        ("nobody@example.com", PASSWORD),
        ("locked@example.com", PASSWORD),
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
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "bad_credentials"
    await failing_sign_in(s, "ann@example.com", "wrong guess")
    assert len(outbox(s, "ann@example.com", "account_locked")) == 1  # one lock, one mail

    s.clock.advance(minutes=14, seconds=59)
    assert await failing_sign_in(s, "ann@example.com", PASSWORD) == "bad_credentials"
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
    await s.accounts.lock("ann@example.com", until=s.clock() + timedelta(days=1), actor=OPERATOR)
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


@pytest.mark.parametrize("kind", ["register", "resend", "forgot"])
async def test_mail_sending_is_rate_limited_per_address_and_per_account(
    s: Services, kind: str
) -> None:
    limit, window = s.accounts.policy.email_limit

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

    s.add_user("ann@example.com", verified=False)
    for i in range(limit):
        await ask("ann@example.com", f"198.51.100.{i}")
    mailed = len(s.db.outbox)
    with pytest.raises(RateLimited):
        await ask("ann@example.com", "198.51.100.99")
    assert len(s.db.outbox) == mailed


# --- second factor hook (A6) -------------------------------------------------------------------


class SecondFactor:
    def __init__(self, answer: SignInMethod | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str | None, str | None]] = []

    async def __call__(
        self, uow: AccountsUnitOfWork, user: User, otp_code: str | None, recovery_code: str | None
    ) -> SignInMethod | None:
        self.calls.append((otp_code, recovery_code))
        return self.answer


def with_second_factor(s: Services, check: SecondFactor) -> Accounts:
    return Accounts(
        uow=s.uow,
        sessions=s.sessions,
        hasher=s.hasher,
        limits=s.limits,
        notifications=Notifications(public_base_url=PUBLIC_BASE_URL, clock=s.clock),
        clock=s.clock,
        policy=AccountPolicy(),
        second_factor=check,
    )


def two_factor_user(s: Services) -> User:
    user = s.add_user("ann@example.com", password=PASSWORD)
    user.totp_secret = "encrypted"
    user.totp_enabled_at = s.clock()
    return s.db.put_user(user)


async def test_with_two_factor_the_password_alone_starts_no_session(s: Services) -> None:
    two_factor_user(s)
    check = SecondFactor(SignInMethod.TOTP)
    accounts = with_second_factor(s, check)

    with pytest.raises(SecondFactorRequired):
        await accounts.sign_in(email="ann@example.com", password=PASSWORD, client=CLIENT)
    assert s.sessions.sessions == {}
    assert check.calls == []
    with pytest.raises(AuthenticationFailed) as wrong_password:
        await accounts.sign_in(
            email="ann@example.com", password="wrong", otp_code="123456", client=CLIENT
        )
    assert wrong_password.value.code == "bad_credentials"
    assert check.calls == []  # the code is not even looked at without the password

    signed_in = await accounts.sign_in(
        email="ann@example.com", password=PASSWORD, otp_code="123456", client=CLIENT
    )
    assert signed_in.session.method == "totp"
    assert check.calls == [("123456", None)]
    assert s.db.login_events[-1].method == "totp"


async def test_wrong_second_factor_codes_count_towards_the_lockout(s: Services) -> None:
    user = two_factor_user(s)
    accounts = with_second_factor(s, SecondFactor(None))

    for _ in range(10):
        with pytest.raises(AuthenticationFailed) as error:
            await accounts.sign_in(
                email="ann@example.com", password=PASSWORD, otp_code="000000", client=CLIENT
            )
        assert error.value.code == "bad_second_factor"

    assert s.db.users[user.id].is_locked(s.clock())
    assert the_mail(s, "ann@example.com", "account_locked")


# --- sessions (A7, A9) -------------------------------------------------------------------------


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

    await s.accounts.set_status("ann@example.com", UserStatus.DISABLED, actor=OPERATOR)

    assert s.sessions.sessions == {}
    assert await s.accounts.user_for_session(token) is None
    await s.accounts.set_status("ann@example.com", UserStatus.ACTIVE, actor=OPERATOR)
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


# --- profile: re-authentication, email, password (P1, A3, A6) ------------------------------------


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

    await s.accounts.change_email(user, session, new_email="BOB@example.com")  # no error
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


# --- mail: the outbox and its delivery (F5) --------------------------------------------------


async def test_mail_is_written_in_the_same_transaction_as_the_change(s: Services) -> None:
    s.uow.fail_commits = 1

    with pytest.raises(ConnectionError):
        await s.accounts.register(
            name="Ada",
            email="ada@example.com",
            password=PASSWORD,
            terms_accepted=True,
            client=CLIENT,
        )

    assert s.db.users == {}
    assert s.db.outbox == {}
    assert s.db.account_tokens == {}


async def test_mail_has_text_and_escaped_html_with_links_to_the_public_site(s: Services) -> None:
    await sign_up(s, name="<script>alert(1)</script> & Co")

    mail = the_mail(s, "ada@example.com", "verify_email")

    assert "Hello <script>alert(1)</script> & Co," in mail.text
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in mail.html
    assert f'href="{PUBLIC_BASE_URL}/verify-email?token=' in mail.html


def delivery(s: Services) -> MailDelivery:
    return MailDelivery(uow=s.uow, mailer=s.mailer, clock=s.clock)


async def test_delivery_sends_due_mail_once(s: Services) -> None:
    await sign_up(s)

    assert await delivery(s).deliver_due() == 1
    assert await delivery(s).deliver_due() == 0

    (sent,) = s.mailer.sent
    assert (sent.to, sent.subject) == ("ada@example.com", "Confirm your email address")
    assert sent.html is not None
    message = the_mail(s, "ada@example.com", "verify_email")
    assert (message.status, message.attempts, message.sent_at) == (
        OutboxStatus.SENT,
        1,
        s.clock(),
    )


def unavailable(retryable: bool = True) -> ExternalServiceError:
    return ExternalServiceError(
        "The mail server is down.",
        category=ErrorCategory.PROVIDER,
        code="smtp_unavailable",
        retryable=retryable,
    )


async def test_delivery_tries_3_times_5_minutes_apart_then_marks_the_mail_failed(
    s: Services,
) -> None:
    await sign_up(s)
    s.mailer.error = unavailable()

    assert await delivery(s).deliver_due() == 0
    message = the_mail(s, "ada@example.com", "verify_email")
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at == s.clock() + timedelta(minutes=5)
    assert message.last_error is not None
    assert "smtp_unavailable" in message.last_error

    s.clock.advance(minutes=4, seconds=59)
    await delivery(s).deliver_due()
    assert the_mail(s, "ada@example.com", "verify_email").attempts == 1  # not due yet
    s.clock.advance(seconds=1)
    await delivery(s).deliver_due()
    s.clock.advance(minutes=5)
    await delivery(s).deliver_due()

    failed = the_mail(s, "ada@example.com", "verify_email")
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 3)
    s.mailer.error = None
    s.clock.advance(hours=1)
    assert await delivery(s).deliver_due() == 0
    assert s.mailer.sent == []


async def test_delivery_recovers_on_a_later_attempt(s: Services) -> None:
    await sign_up(s)
    s.mailer.error = RuntimeError("connection reset")  # unknown errors are retried too
    await delivery(s).deliver_due()
    s.mailer.error = None
    s.clock.advance(minutes=5)

    assert await delivery(s).deliver_due() == 1

    sent = the_mail(s, "ada@example.com", "verify_email")
    assert (sent.status, sent.attempts, sent.last_error) == (OutboxStatus.SENT, 2, None)


async def test_a_permanent_delivery_error_fails_at_once(s: Services) -> None:
    await sign_up(s)
    s.mailer.error = unavailable(retryable=False)

    await delivery(s).deliver_due()

    failed = the_mail(s, "ada@example.com", "verify_email")
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
