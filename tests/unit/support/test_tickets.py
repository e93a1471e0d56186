"""Support tickets on fakes: users open and answer, staff reply, note, change, retry,
and the job that closes resolved tickets."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from tests.unit.fakes import PUBLIC_BASE_URL, Services, make_services
from voiceqr.application.support.ports import UNASSIGNED, QueueFilter
from voiceqr.application.support.queue import SupportQueue, TicketChange
from voiceqr.application.support.tickets import HelpDesk
from voiceqr.application.support.timeline import TicketsOpened
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.domain.shared.errors import (
    Conflict,
    ErrorCategory,
    NotFound,
    PermissionDenied,
    SpeechError,
    ValidationError,
)
from voiceqr.domain.support.tickets import Priority, TicketStatus

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


@pytest.fixture
def s() -> Services:
    return make_services()


@pytest.fixture
def user(s: Services) -> User:
    return s.add_user("ann@example.com", name="Ann")


@pytest.fixture
def agent(s: Services) -> User:
    return s.add_user("help@example.com", name="Hana", role=Role.SUPPORT)


def desk(s: Services) -> HelpDesk:
    return s.platform.support.help_desk


def queue(s: Services) -> SupportQueue:
    return s.platform.support.queue


def reply_mail(s: Services) -> list[OutboxMessage]:
    return [m for m in s.db.outbox.values() if m.kind == "ticket_reply"]


async def failed_generation(s: Services, owner: User) -> UUID:
    voice = s.add_voice("Alex")
    s.speech["espeak"].then(
        SpeechError(
            "The speech service has no characters left this month.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
        )
    )
    generation = await s.generations.request(owner, text="Room 4", voice_id=voice.id)
    s.queue.take()
    await s.generations.process(generation.id)
    assert s.db.generation(generation.id).status is GenerationStatus.FAILED
    return generation.id


async def test_a_ticket_opened_from_a_failed_generation_carries_its_error(
    s: Services, user: User
) -> None:
    generation_id = await failed_generation(s, user)
    thread = await desk(s).open(
        user, subject="No audio", body="It failed.", generation_id=generation_id, user_agent=PHONE
    )
    ticket = s.db.tickets[thread.ticket.id]
    assert ticket.generation_id == generation_id
    assert (ticket.error_category, ticket.error_code) == ("quota", "quota_exceeded")
    assert ticket.voice_id == s.db.generation(generation_id).voice_id
    assert ticket.browser == "Chrome on Android"
    assert [m.body for m in thread.messages] == ["It failed."]


async def test_another_users_generation_or_ticket_is_not_found(s: Services, user: User) -> None:
    other = s.add_user("bob@example.com")
    generation_id = await failed_generation(s, other)
    with pytest.raises(NotFound):
        await desk(s).open(user, subject="x", body="y", generation_id=generation_id)
    theirs = await desk(s).open(other, subject="Mine", body="Private")
    for attempt in (
        desk(s).thread(user, theirs.ticket.id),
        desk(s).reply(user, theirs.ticket.id, "hi"),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert s.db.tickets.keys() == {theirs.ticket.id}


async def test_a_staff_reply_is_mailed_and_a_note_is_neither_shown_nor_mailed(
    s: Services, user: User, agent: User
) -> None:
    thread = await desk(s).open(user, subject="Help", body="My code is silent")
    tid = thread.ticket.id
    await queue(s).reply(agent, tid, "Looks like a quota problem.", internal=True)
    assert reply_mail(s) == []
    await queue(s).reply(agent, tid, "Fixed it, try again.")

    [mail] = reply_mail(s)
    assert mail.to == "ann@example.com"
    assert mail.subject == "Re: Help"
    assert "Fixed it, try again." in mail.text
    assert f"{PUBLIC_BASE_URL}/support/{tid}" in mail.text
    seen = await desk(s).thread(user, tid)
    assert [m.body for m in seen.messages] == ["My code is silent", "Fixed it, try again."]
    assert seen.ticket.status is TicketStatus.WAITING
    staff_view = await queue(s).ticket(agent, tid)
    assert len(staff_view.thread.messages) == 3
    assert [e.action for e in s.db.audit_events] == ["ticket.note", "ticket.reply"]
    assert all(e.actor == "help@example.com" for e in s.db.audit_events)


async def test_the_users_answer_reopens_the_ticket(s: Services, user: User, agent: User) -> None:
    tid = (await desk(s).open(user, subject="Help", body="?")).ticket.id
    await queue(s).reply(agent, tid, "Which code?")
    answered = await desk(s).reply(user, tid, "The museum one.")
    assert answered.ticket.status is TicketStatus.OPEN
    assert [m.from_staff for m in answered.messages] == [False, True, False]


async def test_staff_change_status_priority_and_assignee_with_a_reason(
    s: Services, user: User, agent: User
) -> None:
    tid = (await desk(s).open(user, subject="Help", body="?")).ticket.id
    with pytest.raises(ValidationError):
        await queue(s).change(agent, tid, TicketChange(priority=Priority.HIGH), reason=" ")
    changed = await queue(s).change(
        agent,
        tid,
        TicketChange(
            status=TicketStatus.RESOLVED, priority=Priority.URGENT, assignee_email=agent.email
        ),
        reason="Paying customer",
        ip="203.0.113.9",
    )
    assert (changed.status, changed.priority, changed.assignee_id) == (
        TicketStatus.RESOLVED,
        Priority.URGENT,
        agent.id,
    )
    [event] = s.db.audit_events
    assert event.action == "ticket.update"
    assert event.ip == "203.0.113.9"
    assert event.details["reason"] == "Paying customer"
    with pytest.raises(NotFound):  # a plain user cannot be given tickets
        await queue(s).change(agent, tid, TicketChange(assignee_email=user.email), reason="x")


async def test_the_queue_filters_searches_and_pages(s: Services, user: User, agent: User) -> None:
    bob = s.add_user("bob@example.com")
    generation_id = await failed_generation(s, user)
    first = (
        await desk(s).open(user, subject="Silent code", body="?", generation_id=generation_id)
    ).ticket
    s.clock.advance(60)
    second = (await desk(s).open(bob, subject="Billing question", body="?")).ticket
    await queue(s).change(agent, second.id, TicketChange(assignee_email=agent.email), reason="mine")

    def ids(page: list[object]) -> list[UUID]:
        return [item.ticket.id for item in page]  # type: ignore[attr-defined]

    everything = await queue(s).queue(agent)
    assert ids(everything.items) == [second.id, first.id]  # newest first
    assert everything.items[0].requester_email == "bob@example.com"
    assert everything.items[0].assignee_email == "help@example.com"
    assert ids((await queue(s).queue(agent, QueueFilter(assignee=agent.id))).items) == [second.id]
    assert ids((await queue(s).queue(agent, QueueFilter(assignee=UNASSIGNED))).items) == [first.id]
    assert ids((await queue(s).queue(agent, QueueFilter(has_generation=True))).items) == [first.id]
    assert ids((await queue(s).queue(agent, QueueFilter(search="BOB@"))).items) == [second.id]
    assert ids((await queue(s).queue(agent, QueueFilter(search="silent"))).items) == [first.id]
    page_one = await queue(s).queue(agent, limit=1)
    assert ids(page_one.items) == [second.id]
    assert page_one.next_cursor
    page_two = await queue(s).queue(agent, limit=1, cursor=page_one.next_cursor)
    assert ids(page_two.items) == [first.id]
    assert page_two.next_cursor is None


async def test_only_staff_with_the_ticket_permission_reach_the_queue(
    s: Services, user: User
) -> None:
    tid = (await desk(s).open(user, subject="Help", body="?")).ticket.id
    moderator = s.add_user("mod@example.com", role=Role.MODERATOR)
    for person in (user, moderator):
        with pytest.raises(PermissionDenied):
            await queue(s).queue(person)
        with pytest.raises(PermissionDenied):
            await queue(s).reply(person, tid, "hello")
    assert len(s.db.ticket_messages) == 1


async def test_staff_retry_the_failed_generation_from_its_ticket(
    s: Services, user: User, agent: User
) -> None:
    generation_id = await failed_generation(s, user)
    tid = (await desk(s).open(user, subject="x", body="y", generation_id=generation_id)).ticket.id
    generation = await queue(s).retry_generation(
        agent, tid, reason="quota topped up", ip="10.0.0.1"
    )
    assert generation.status is GenerationStatus.PENDING
    assert [e.action for e in s.db.audit_events] == ["generation.retry", "ticket.retry_generation"]
    notes = [m for m in s.db.ticket_messages if m.internal]
    assert [n.body for n in notes] == ["Retried the generation (quota topped up)."]
    with pytest.raises(Conflict):  # no longer failed
        await queue(s).retry_generation(agent, tid, reason="again")
    plain = (await desk(s).open(user, subject="x", body="y")).ticket.id
    with pytest.raises(Conflict):
        await queue(s).retry_generation(agent, plain, reason="nothing to retry")


async def test_a_resolved_ticket_closes_itself_after_seven_days_without_an_answer(
    s: Services, user: User, agent: User
) -> None:
    quiet = (await desk(s).open(user, subject="Quiet", body="?")).ticket.id
    answered = (await desk(s).open(user, subject="Answered", body="?")).ticket.id
    for tid in (quiet, answered):
        await queue(s).change(agent, tid, TicketChange(status=TicketStatus.RESOLVED), reason="done")
    s.clock.advance(timedelta(days=3).total_seconds())
    await desk(s).reply(user, answered, "Not quite.")
    s.clock.advance(timedelta(days=4).total_seconds())

    assert await queue(s).close_resolved() == 1
    assert s.db.tickets[quiet].status is TicketStatus.CLOSED
    assert s.db.tickets[answered].status is TicketStatus.OPEN
    assert await queue(s).close_resolved() == 0
    with pytest.raises(Conflict):
        await desk(s).reply(user, quiet, "one more thing")


async def test_other_features_read_a_users_tickets(s: Services, user: User, agent: User) -> None:
    tid = (await desk(s).open(user, subject="Help", body="?")).ticket.id
    await queue(s).reply(agent, tid, "staff only", internal=True)
    opened = TicketsOpened(s.uow)
    [entry] = await opened.read(user.id, user.email, before=s.clock(), limit=5)
    assert entry.kind == "ticket"
    assert f"/admin/support/{tid}" in entry.detail
    assert "Help" in entry.what
    assert (
        await opened.read(user.id, user.email, before=s.clock() - timedelta(days=1), limit=5) == []
    )
    [exported] = await desk(s).tickets_for_export(user.id)
    assert [m.body for m in exported.messages] == ["?"]
    assert await opened.read(uuid4(), "", before=s.clock(), limit=5) == []
