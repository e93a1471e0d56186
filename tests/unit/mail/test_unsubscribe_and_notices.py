"""One-click unsubscribe, in-app notices, ticket replies, the weekly scans summary and
product news, on fakes."""

from __future__ import annotations

import dataclasses
from uuid import uuid4

import pytest

from tests.unit.fakes import Services, make_services
from voiceqr.application.mail.digests import CodeWeek, ScansWeek
from voiceqr.application.mail.unsubscribe import UnsubscribeTokens
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.mail.preferences import FailureMail, MailKind
from voiceqr.domain.shared.errors import NotFound, PermissionDenied, ValidationError
from voiceqr.domain.shared.ids import uuid7


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def ann(s: Services) -> User:
    return s.add_user("ann@example.com")


def mail_of(s: Services, kind: str) -> list[OutboxMessage]:
    return [m for m in s.db.outbox.values() if m.kind == kind]


def token_in(mail: OutboxMessage) -> str:
    return mail.headers["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]


# --- one-click unsubscribe --------------------------------------------------------------


def test_a_token_names_the_user_and_the_kind_and_cannot_be_altered() -> None:
    tokens = UnsubscribeTokens(lambda: "k" * 40)
    user_id = uuid7()
    token = tokens.token(user_id, MailKind.TICKET_REPLY)
    request = tokens.read(token)
    assert request is not None
    assert (request.user_id, request.kind) == (
        user_id,
        MailKind.TICKET_REPLY,
    )
    forged = tokens.token(user_id, MailKind.PRODUCT_NEWS).split(".")[0] + "." + token.split(".")[1]
    assert tokens.read(forged) is None
    assert UnsubscribeTokens(lambda: "other" * 8).read(token) is None
    for junk in ("", ".", "abc", "a.b", token + "x", "é.é", "." * 300):
        assert tokens.read(junk) is None


async def test_the_link_of_a_reply_mail_turns_reply_mail_off_and_nothing_else(
    s: Services, ann: User
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    thread = await s.platform.support.help_desk.open(ann, subject="Help", body="Silent code")
    await s.platform.support.queue.reply(agent, thread.ticket.id, "Try again now.")
    [mail] = mail_of(s, "ticket_reply")
    prefs = s.platform.mail.preferences

    # Reading what the link does (the GET page) changes nothing.
    request = await prefs.unsubscribe_request(token_in(mail))
    assert request.kind is MailKind.TICKET_REPLY
    assert (await prefs.get(ann)).ticket_reply_mail is True

    await prefs.unsubscribe(token_in(mail))
    await prefs.unsubscribe(token_in(mail))  # a second click is the same as one
    settings = await prefs.get(ann)
    assert settings.ticket_reply_mail is False
    assert settings.ticket_reply_in_app is True
    assert settings.generation_failed_mail is FailureMail.EACH


async def test_a_forged_link_or_a_deleted_account_is_not_found(s: Services, ann: User) -> None:
    prefs = s.platform.mail.preferences
    with pytest.raises(NotFound):
        await prefs.unsubscribe("not-a-token")
    ghost = prefs.tokens.token(uuid4(), MailKind.PRODUCT_NEWS)
    with pytest.raises(NotFound):
        await prefs.unsubscribe_request(ghost)
    with pytest.raises(NotFound):
        await prefs.unsubscribe(ghost)
    assert s.db.notification_settings == {}


# --- ticket replies and notices ---------------------------------------------------------


async def test_with_reply_mail_off_a_reply_writes_a_notice_and_no_mail(
    s: Services, ann: User
) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    await s.platform.mail.preferences.update(ann, {"ticket_reply_mail": "off"})
    thread = await s.platform.support.help_desk.open(ann, subject="Help", body="Silent code")
    await s.platform.support.queue.reply(agent, thread.ticket.id, "Try again now.")

    assert mail_of(s, "ticket_reply") == []
    page = await s.platform.mail.notices.page(ann)
    [notice] = page.notices
    assert notice.link == f"/support/{thread.ticket.id}"
    assert page.unread == 1


async def test_notices_are_paged_newest_first_and_marked_read(s: Services, ann: User) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    thread = await s.platform.support.help_desk.open(ann, subject="Help", body="Silent code")
    for n in range(5):
        await s.platform.support.queue.reply(agent, thread.ticket.id, f"Reply {n}")
    notices = s.platform.mail.notices

    first = await notices.page(ann, limit=3)
    assert len(first.notices) == 3
    assert first.older is not None
    assert first.unread == 5
    rest = await notices.page(ann, before=first.older, limit=3)
    assert len(rest.notices) == 2
    assert rest.older is None
    ids = [n.id for n in first.notices + rest.notices]
    assert ids == sorted(ids, reverse=True)

    await notices.mark_read(ann, ids[0])
    assert await notices.unread_count(ann) == 4
    assert await notices.mark_all_read(ann) == 4
    assert await notices.unread_count(ann) == 0


async def test_another_users_notice_is_not_found(s: Services, ann: User) -> None:
    agent = s.add_user("agent@example.com", role=Role.SUPPORT)
    bob = s.add_user("bob@example.com")
    thread = await s.platform.support.help_desk.open(ann, subject="Help", body="Silent code")
    await s.platform.support.queue.reply(agent, thread.ticket.id, "Try again now.")
    [notice] = (await s.platform.mail.notices.page(ann)).notices

    with pytest.raises(NotFound):
        await s.platform.mail.notices.mark_read(bob, notice.id)
    assert await s.platform.mail.notices.unread_count(ann) == 1
    assert (await s.platform.mail.notices.page(bob)).notices == []


async def test_a_page_size_out_of_range_is_refused(s: Services, ann: User) -> None:
    for limit in (0, 101):
        with pytest.raises(ValidationError):
            await s.platform.mail.notices.page(ann, limit=limit)


# --- the weekly scans summary -----------------------------------------------------------


class FakeScanWeeks:
    def __init__(self, weeks: dict[str, ScansWeek]) -> None:
        self.weeks = weeks

    async def last_week(self, owner: User) -> ScansWeek:
        return self.weeks.get(owner.email, ScansWeek(0, 0, []))


async def test_the_weekly_summary_skips_users_with_nothing_and_those_who_did_not_ask(
    s: Services, ann: User
) -> None:
    busy, quiet = s.add_user("busy@example.com"), s.add_user("quiet@example.com")
    for user in (busy, quiet):
        await s.platform.mail.preferences.update(user, {"scans_summary_mail": "on"})
    week = ScansWeek(12, 5, [CodeWeek("abc123", "Room 4", 10, 4), CodeWeek("xyz", "Hall", 2, 1)])
    scheduled = dataclasses.replace(
        s.platform.mail.scheduled,
        scan_weeks=FakeScanWeeks({"busy@example.com": week, "ann@example.com": week}),
    )

    assert await scheduled.send_scans_summaries() == 1

    [summary] = mail_of(s, "scans_summary")
    assert summary.to == "busy@example.com"  # ann never opted in; quiet had no scans
    assert "12 scans, 5 listens" in summary.subject
    assert "abc123" in summary.text
    assert "10 scans" in summary.text
    assert "List-Unsubscribe" in summary.headers


async def test_the_weekly_summary_can_be_a_notice_instead_of_a_mail(s: Services, ann: User) -> None:
    await s.platform.mail.preferences.update(
        ann, {"scans_summary_in_app": "on", "scans_summary_mail": "off"}
    )
    scheduled = dataclasses.replace(
        s.platform.mail.scheduled,
        scan_weeks=FakeScanWeeks({"ann@example.com": ScansWeek(3, 1, [])}),
    )
    assert await scheduled.send_scans_summaries() == 1
    assert mail_of(s, "scans_summary") == []
    [notice] = s.db.notices.values()
    assert notice.text == "Your week: 3 scans, 1 listens."
    assert notice.link == "/analytics"


async def test_the_weekly_summary_reads_the_real_dashboards(s: Services, ann: User) -> None:
    # Through the composition root's analytics adapter: a user with no scans gets nothing.
    await s.platform.mail.preferences.update(ann, {"scans_summary_mail": "on"})
    assert await s.platform.mail.scheduled.send_scans_summaries() == 0
    assert s.db.outbox == {}


# --- product news -----------------------------------------------------------------------


async def test_news_goes_to_confirmed_users_who_opted_in_and_is_audited(
    s: Services, ann: User
) -> None:
    fan = s.add_user("fan@example.com")
    unconfirmed = s.add_user("new@example.com", verified=False)
    reader = s.add_user("reader@example.com")
    for user in (fan, unconfirmed):
        await s.platform.mail.preferences.update(user, {"product_news_mail": True})
    await s.platform.mail.preferences.update(reader, {"product_news_in_app": True})
    scheduled = s.platform.mail.scheduled

    assert (
        await scheduled.send_product_news(OPERATOR, subject="New voices", text="Hi", dry_run=True)
        == 2
    )
    assert mail_of(s, "product_news") == []
    assert s.db.audit_events == []

    assert await scheduled.send_product_news(OPERATOR, subject="New voices", text="Hi") == 2
    [news] = mail_of(s, "product_news")
    assert (news.to, news.subject) == ("fan@example.com", "New voices")
    assert news.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [event] = s.db.audit_events
    assert event.action == "mail.news"
    assert event.details["recipients"] == 2
    [notice] = s.db.notices.values()  # the reader chose news in the app only
    assert (notice.user_id, notice.text) == (reader.id, "New voices")


async def test_news_needs_staff_and_a_subject_and_a_text(s: Services, ann: User) -> None:
    scheduled = s.platform.mail.scheduled
    with pytest.raises(PermissionDenied):
        await scheduled.send_product_news(ann, subject="Hi", text="Hello")
    for subject, text in (("", "Hello"), ("Two\nlines", "Hello"), ("Hi", "  ")):
        with pytest.raises(ValidationError):
            await scheduled.send_product_news(OPERATOR, subject=subject, text=text)
    assert s.db.outbox == {}
