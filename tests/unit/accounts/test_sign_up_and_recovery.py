"""Signing up, verifying the address and recovering a forgotten password, on the fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.accounts.steps import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    PHONE,
    failing_sign_in,
    outbox,
    sign_in,
    sign_up,
    stored_user,
    the_mail,
    token_from,
)
from tests.unit.fakes import PUBLIC_BASE_URL, Services, make_services
from voiceqr.application.accounts.policy import hash_token
from voiceqr.domain.accounts.tokens import TokenPurpose
from voiceqr.domain.accounts.users import UserStatus
from voiceqr.domain.mail.outbox import OutboxStatus
from voiceqr.domain.shared.errors import PermissionDenied, ValidationError


@pytest.fixture
def s() -> Services:
    return make_services()


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
    await s.operator_sets_status("disabled@example.com", UserStatus.DISABLED)

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
    await s.operator_sets_status("gone@example.com", UserStatus.DISABLED)

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
