"""Support tickets in SQL, the same on SQLite and PostgreSQL: the queue's filters,
search and keyset pages, a requester's own tickets, deletion with the account, and the
scheduled job that closes tickets resolved a week ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete

from tests.unit.fakes import FakeClock
from voiceqr.adapters.database import accounts
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.application.support.ports import UNASSIGNED, QueueFilter
from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.support.tickets import Ticket, TicketMessage, TicketStatus
from voiceqr.entrypoints.worker.support import SCHEDULES, close_resolved_tickets
from voiceqr.settings import Settings

NOW = datetime(2031, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)


async def add_user(uows: SqlUnitOfWorkFactory, email: str, role: Role = Role.USER) -> User:
    user = User(id=uuid7(), email=email, name="Ada", password_hash=None, role=role, created_at=NOW)
    async with uows() as uow:
        await uow.users.add(user)
        await uow.commit()
    return user


async def add_ticket(
    uows: SqlUnitOfWorkFactory, requester: User, subject: str, *, at: datetime = NOW
) -> Ticket:
    ticket = Ticket.open(requester_id=requester.id, subject=subject, now=at)
    async with uows() as uow:
        await uow.tickets.add(ticket)
        await uow.ticket_messages.add(
            TicketMessage(uuid7(), ticket.id, requester.id, "Ada", False, False, "Hello", at)
        )
        await uow.commit()
    return ticket


async def test_the_queue_filters_searches_and_pages(uows: SqlUnitOfWorkFactory) -> None:
    ann = await add_user(uows, f"ann-{uuid7().hex}@example.com")
    staff = await add_user(uows, f"help-{uuid7().hex}@example.com", Role.SUPPORT)
    marker = uuid7().hex[:12]
    first = await add_ticket(uows, ann, f"{marker} 100% silent_code")
    second = await add_ticket(uows, ann, f"{marker} billing", at=NOW + timedelta(seconds=1))
    second.assign(staff.id, NOW)
    second.move_to(TicketStatus.RESOLVED, NOW)
    async with uows() as uow:
        await uow.tickets.update(second)
        await uow.commit()

    def ids(found: list[Ticket]) -> list[object]:
        return [t.id for t in found]

    async with uows() as uow:
        mine = QueueFilter(search=marker)
        assert ids(await uow.tickets.queue(mine, after=None, limit=10)) == [second.id, first.id]
        by_email = QueueFilter(search=ann.email.upper())
        assert ids(await uow.tickets.queue(by_email, after=None, limit=10)) == [
            second.id,
            first.id,
        ]
        # LIKE wildcards in a search are plain characters.
        literal = QueueFilter(search=f"{marker} 100% silent_")
        assert ids(await uow.tickets.queue(literal, after=None, limit=10)) == [first.id]
        assert ids(await uow.tickets.queue(QueueFilter(search="100_"), after=None, limit=10)) == []
        assigned = QueueFilter(search=marker, assignee=staff.id)
        assert ids(await uow.tickets.queue(assigned, after=None, limit=10)) == [second.id]
        nobody = QueueFilter(search=marker, assignee=UNASSIGNED)
        assert ids(await uow.tickets.queue(nobody, after=None, limit=10)) == [first.id]
        resolved = QueueFilter(search=marker, status=TicketStatus.RESOLVED)
        assert ids(await uow.tickets.queue(resolved, after=None, limit=10)) == [second.id]
        about = QueueFilter(search=marker, has_generation=True)
        assert await uow.tickets.queue(about, after=None, limit=10) == []
        [page_one] = await uow.tickets.queue(mine, after=None, limit=1)
        after = HistoryPosition(page_one.created_at, page_one.id)
        assert ids(await uow.tickets.queue(mine, after=after, limit=10)) == [first.id]
        stored = await uow.tickets.get(second.id)
        assert stored is not None
        assert (stored.status, stored.assignee_id, stored.resolved_at) == (
            TicketStatus.RESOLVED,
            staff.id,
            NOW,
        )
        assert ids(await uow.tickets.list_for_requester(ann.id)) == [second.id, first.id]
        assert await uow.tickets.get_for_requester(first.id, staff.id) is None


async def test_tickets_go_with_the_account_and_stay_when_staff_leave(
    uows: SqlUnitOfWorkFactory,
) -> None:
    ann = await add_user(uows, f"ann-{uuid7().hex}@example.com")
    staff = await add_user(uows, f"help-{uuid7().hex}@example.com", Role.SUPPORT)
    ticket = await add_ticket(uows, ann, "Going away")
    ticket.assign(staff.id, NOW)
    async with uows() as uow:
        await uow.tickets.update(ticket)
        await uow.commit()
    async with uows.engine.begin() as connection:
        await connection.execute(delete(accounts.users).where(accounts.users.c.id == staff.id))
    async with uows() as uow:
        kept = await uow.tickets.get(ticket.id)
        assert kept is not None
        assert kept.assignee_id is None
    async with uows.engine.begin() as connection:
        await connection.execute(delete(accounts.users).where(accounts.users.c.id == ann.id))
    async with uows() as uow:
        assert await uow.tickets.get(ticket.id) is None
        assert await uow.ticket_messages.thread(ticket.id, internal=True) == []


async def test_the_scheduled_job_closes_tickets_resolved_a_week_ago(
    uows: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    platform = build(Settings(data_dir=str(tmp_path)), Adapters(uow=uows, clock=clock))
    ann = await add_user(uows, f"ann-{uuid7().hex}@example.com")
    quiet = await add_ticket(uows, ann, "Quiet")
    answered = await add_ticket(uows, ann, "Answered")
    for ticket in (quiet, answered):
        ticket.move_to(TicketStatus.RESOLVED, NOW)
        async with uows() as uow:
            await uow.tickets.update(ticket)
            await uow.commit()
    clock.advance(timedelta(days=2).total_seconds())
    await platform.support.help_desk.reply(ann, answered.id, "Not yet solved")
    clock.advance(timedelta(days=5).total_seconds())

    [job] = SCHEDULES
    assert job.run is close_resolved_tickets
    assert await job.run(platform) >= 1
    async with uows() as uow:
        closed, reopened = await uow.tickets.get(quiet.id), await uow.tickets.get(answered.id)
        assert closed is not None
        assert closed.status is TicketStatus.CLOSED
        assert closed.closed_at == clock()
        assert reopened is not None
        assert reopened.status is TicketStatus.OPEN
        notes = await uow.ticket_messages.thread(quiet.id, internal=True)
        assert notes[-1].internal
        assert "Closed by itself" in notes[-1].body
        assert await uow.ticket_messages.thread(quiet.id, internal=False) == notes[:1]
