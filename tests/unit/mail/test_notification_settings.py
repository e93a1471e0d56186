"""Notification settings per kind: parsing them, and each kind respected at the moment
of sending (failure mail each / digest / off, ticket replies, in-app notices), on fakes."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.accounts.steps import CLIENT
from tests.unit.fakes import Services, make_services
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.mail.preferences import (
    EDITABLE,
    FailureMail,
    MailKind,
    NotificationSettings,
    parse_failure_mail,
    parse_switch,
)
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.voices.voice import Voice


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


@pytest.fixture
def voice(s: Services) -> Voice:
    return s.add_voice("Alex")


def mail_of(s: Services, kind: str) -> list[OutboxMessage]:
    return [m for m in s.db.outbox.values() if m.kind == kind]


def quota() -> SpeechError:
    return SpeechError(
        "The speech service has no characters left.",
        category=ErrorCategory.QUOTA,
        code="quota_exceeded",
        retryable=False,
    )


async def fail_for_good(s: Services, owner: User, voice: Voice, text: str = "Room 4") -> UUID:
    s.speech["espeak"].then(quota())
    generation = await s.generations.request(owner, text=text, voice_id=voice.id)
    assert (await s.generations.process(generation.id)).action == "failed"
    assert (await s.generations.get_for_owner(owner, generation.id)).status is (
        GenerationStatus.FAILED
    )
    return generation.id


# --- the settings themselves ------------------------------------------------------------


def test_a_new_user_gets_failures_and_replies_but_no_news_or_summary() -> None:
    settings = NotificationSettings.defaults(uuid7())
    assert settings.generation_failed_mail is FailureMail.EACH
    assert settings.mails(MailKind.GENERATION_FAILED)
    assert settings.mails(MailKind.TICKET_REPLY)
    assert not settings.mails(MailKind.PRODUCT_NEWS)
    assert not settings.mails(MailKind.SCANS_SUMMARY)


_WORDS = {"on": True, "true": True, "yes": True, "1": True}
_WORDS |= {"off": False, "false": False, "no": False, "0": False}


@given(
    word=st.sampled_from(sorted(_WORDS)),
    case=st.sampled_from([str.lower, str.upper, str.title]),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_a_switch_reads_the_words_a_form_sends_in_any_case(
    word: str, case: object, pad: str
) -> None:
    assert callable(case)
    assert parse_switch("ticket_reply_mail", pad + case(word) + pad) is _WORDS[word]


@given(st.text(max_size=12).filter(lambda t: t.strip().lower() not in _WORDS))
def test_anything_else_is_not_a_switch(value: str) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_switch("ticket_reply_mail", value)
    assert raised.value.code == "invalid_notification_setting"


@given(st.one_of(st.text(max_size=12), st.integers(), st.none(), st.booleans()))
def test_the_failure_mail_is_each_digest_or_off_and_nothing_else(value: object) -> None:
    choices = {"each", "digest", "off"}
    if isinstance(value, str) and value.strip().lower() in choices:
        assert parse_failure_mail(value) is FailureMail(value.strip().lower())
    else:
        with pytest.raises(ValidationError):
            parse_failure_mail(value)


_SWITCH_VALUES: dict[object, bool] = {"on": True, True: True, "off": False, False: False}
_FAILURE_VALUES = {
    "each": FailureMail.EACH,
    "digest": FailureMail.DAILY_DIGEST,
    "off": FailureMail.OFF,
}


def _expected(name: str, value: object) -> object:
    """What a field becomes, or None when the value is not one of its choices."""
    if name == "generation_failed_mail":
        return _FAILURE_VALUES.get(value) if isinstance(value, str) else None
    return _SWITCH_VALUES.get(value) if isinstance(value, (str, bool)) else None


@given(
    st.dictionaries(
        st.sampled_from(EDITABLE),
        st.sampled_from(["on", "off", True, False, "each", "digest", "maybe", 3]),
    )
)
def test_a_change_is_applied_whole_or_refused_whole(changes: dict[str, object]) -> None:
    before = NotificationSettings.defaults(uuid7())
    expected = {name: _expected(name, value) for name, value in changes.items()}
    if any(value is None for value in expected.values()):
        with pytest.raises(ValidationError):
            before.changed(changes)
        return
    after = before.changed(changes)
    for name in EDITABLE:
        assert getattr(after, name) == expected.get(name, getattr(before, name))


def test_account_mail_is_not_a_setting() -> None:
    with pytest.raises(ValidationError) as raised:
        NotificationSettings.defaults(uuid7()).changed({"account_mail": "off"})
    assert raised.value.code == "unknown_notification_setting"


# --- a generation that fails for good ---------------------------------------------------


async def test_each_failure_is_mailed_with_a_one_click_unsubscribe_and_noticed(
    s: Services, ann: User, voice: Voice
) -> None:
    await fail_for_good(s, ann, voice)

    [mail] = mail_of(s, "generation_failed")
    assert mail.to == ann.email
    link = mail.headers["List-Unsubscribe"]
    assert link.startswith("<")
    assert "/unsubscribe/" in link
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.strip("<>") in mail.text
    assert link.strip("<>") in mail.html
    [notice] = s.db.notices.values()
    assert (notice.user_id, notice.kind) == (ann.id, MailKind.GENERATION_FAILED)
    assert "Room 4" in notice.text
    assert notice.link.startswith("/generations/")


async def test_account_mail_never_carries_an_unsubscribe_link(s: Services) -> None:
    await s.accounts.register(
        name="Bob",
        email="bob@example.com",
        password="correct horse battery",
        terms_accepted=True,
        client=CLIENT,
    )
    [mail] = mail_of(s, "verify_email")
    assert mail.headers == {}
    assert "/unsubscribe/" not in mail.text


async def test_failure_mail_off_sends_nothing_but_the_notice_still_shows(
    s: Services, ann: User, voice: Voice
) -> None:
    await s.platform.mail.preferences.update(ann, {"generation_failed_mail": "off"})
    await fail_for_good(s, ann, voice)
    assert mail_of(s, "generation_failed") == []
    assert len(s.db.notices) == 1


async def test_no_notice_when_the_in_app_switch_is_off(
    s: Services, ann: User, voice: Voice
) -> None:
    await s.platform.mail.preferences.update(ann, {"generation_failed_in_app": "off"})
    await fail_for_good(s, ann, voice)
    assert s.db.notices == {}
    assert len(mail_of(s, "generation_failed")) == 1


async def test_an_admin_cancel_respects_the_setting_too(
    s: Services, ann: User, voice: Voice
) -> None:
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    await s.platform.mail.preferences.update(ann, {"generation_failed_mail": "off"})
    generation = await s.generations.request(ann, text="Room 4", voice_id=voice.id)
    await s.generation_failures.cancel(admin, generation.id)
    assert mail_of(s, "generation_failed") == []


async def test_the_setting_is_per_owner(s: Services, ann: User, voice: Voice) -> None:
    other = s.add_user("other@example.com")
    await s.platform.mail.preferences.update(other, {"generation_failed_mail": "off"})
    await fail_for_good(s, ann, voice)
    assert [m.to for m in mail_of(s, "generation_failed")] == [ann.email]


# --- the daily digest -------------------------------------------------------------------


async def test_the_daily_digest_groups_the_days_failures_in_one_mail(
    s: Services, ann: User, voice: Voice
) -> None:
    await s.platform.mail.preferences.update(ann, {"generation_failed_mail": "digest"})
    await fail_for_good(s, ann, voice, "Room 4")
    await fail_for_good(s, ann, voice, "Room 5")
    assert mail_of(s, "generation_failed") == []  # kept for the digest, not mailed now

    assert await s.platform.mail.scheduled.send_failure_digests() == 1

    [digest] = mail_of(s, "failure_digest")
    assert digest.to == ann.email
    assert "2 spoken QR codes" in digest.subject
    assert "Room 4" in digest.text
    assert "Room 5" in digest.text
    assert "List-Unsubscribe" in digest.headers
    # The next day, with no new failure, nothing is sent.
    assert await s.platform.mail.scheduled.send_failure_digests() == 0
    assert len(mail_of(s, "failure_digest")) == 1


async def test_a_digest_lists_a_generation_retried_and_failing_again_once(
    s: Services, ann: User, voice: Voice
) -> None:
    admin = s.add_user("root@example.com", role=Role.ADMIN)
    await s.platform.mail.preferences.update(ann, {"generation_failed_mail": "digest"})
    generation_id = await fail_for_good(s, ann, voice, "Room 4")
    await fail_for_good(s, ann, voice, "Room 5")
    for _ in range(2):  # retried by an admin, and refused again each time
        s.speech["espeak"].then(quota())
        await s.generation_failures.retry(admin, generation_id)
        assert (await s.generations.process(generation_id)).action == "failed"

    assert await s.platform.mail.scheduled.send_failure_digests() == 1

    [digest] = mail_of(s, "failure_digest")
    assert "2 spoken QR codes" in digest.subject
    assert digest.text.count("Room 4") == 1
    # Failing again after the digest went out keeps it out of the next one.
    s.speech["espeak"].then(quota())
    await s.generation_failures.retry(admin, generation_id)
    await s.generations.process(generation_id)
    assert await s.platform.mail.scheduled.send_failure_digests() == 0


async def test_a_digest_is_not_sent_to_someone_who_turned_the_mail_off_since(
    s: Services, ann: User, voice: Voice
) -> None:
    prefs = s.platform.mail.preferences
    await prefs.update(ann, {"generation_failed_mail": "digest"})
    await fail_for_good(s, ann, voice)
    await prefs.update(ann, {"generation_failed_mail": "off"})

    assert await s.platform.mail.scheduled.send_failure_digests() == 0
    assert mail_of(s, "failure_digest") == []
    assert s.db.mail_digest == {}  # dropped, not kept for ever


async def test_no_digest_for_users_without_failures(s: Services, ann: User) -> None:
    await s.platform.mail.preferences.update(ann, {"generation_failed_mail": "digest"})
    assert await s.platform.mail.scheduled.send_failure_digests() == 0
    assert s.db.outbox == {}
