"""`voiceqr support ...`: the support queue at the terminal, the same use cases as the
staff pages and API (acting as the operator, "cli" in the audit log)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.support.ports import QueueFilter
from voiceqr.application.support.queue import MAX_QUEUE_PAGE, QueueItem, StaffTicket
from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import NotFound
from voiceqr.domain.support.tickets import STAFF_STATUS_LABELS, TicketStatus
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

app = typer.Typer(name="support", no_args_is_help=True, help="Support tickets: the queue.")


def _ticket_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise fail(f"{value!r} is not a ticket id", 2) from None


@app.command("list")
def list_tickets(
    status: Annotated[TicketStatus | None, typer.Option(help="Only this status.")] = None,
    mine: Annotated[
        bool, typer.Option("--mine", help="Only the tickets assigned to --me.")
    ] = False,
    me: Annotated[
        str | None, typer.Option(help="Your staff email (the operator has no account).")
    ] = None,
    search: Annotated[str, typer.Option(help="Part of a subject or requester email.")] = "",
    limit: Annotated[int, typer.Option(min=1, max=MAX_QUEUE_PAGE)] = 50,
) -> None:
    """The queue, newest first."""
    if mine and not me:
        raise fail("--mine needs --me EMAIL: the staff member whose tickets to list", 2)

    async def work(platform: Platform) -> list[QueueItem]:
        assignee = None
        if mine and me:
            staff = await platform.accounts.accounts.get_by_email(me)
            if staff is None:
                raise NotFound(f"No account has the email {me}.")
            assignee = staff.id
        which = QueueFilter(status=status, assignee=assignee, search=search)
        return (await platform.support.queue.queue(OPERATOR, which, limit=limit)).items

    echo_lines(run(work), _line, none="no tickets")


def _line(item: QueueItem) -> str:
    t = item.ticket
    about = f"  generation {t.generation_id} ({t.error_code})" if t.generation_id else ""
    return (
        f"{t.id}  {t.created_at:%Y-%m-%d %H:%M}  {t.status:<8} {t.priority:<6}  "
        f"{item.requester_email}  {t.subject}  [{item.assignee_email or 'unassigned'}]{about}"
    )


@app.command("show")
def show(ticket_id: str) -> None:
    """A ticket with every message, internal notes marked."""
    tid = _ticket_id(ticket_id)
    view: StaffTicket = run(lambda p: p.support.queue.ticket(OPERATOR, tid))
    t = view.thread.ticket
    typer.echo(f"{t.subject}")
    typer.echo(f"status: {STAFF_STATUS_LABELS[t.status]}  priority: {t.priority}")
    typer.echo(f"requester: {view.requester.email if view.requester else 'a removed account'}")
    typer.echo(f"assignee: {view.assignee.email if view.assignee else 'nobody'}")
    if t.generation_id:
        typer.echo(
            f"generation: {t.generation_id} {t.error_category}/{t.error_code} "
            f"voice {view.voice_name or t.voice_id}  browser: {t.browser or 'unknown'}"
        )
    for m in view.thread.messages:
        label = "NOTE " if m.internal else ("staff" if m.from_staff else "user ")
        typer.echo(f"\n[{label}] {m.author_label}  {m.created_at:%Y-%m-%d %H:%M}\n{m.body}")


@app.command("reply")
def reply(
    ticket_id: str,
    text: str,
    internal: Annotated[
        bool, typer.Option("--internal", help="An internal note: not shown, not mailed.")
    ] = False,
) -> None:
    """Reply to the user (mailed and/or a notice, as they chose), or add an internal note."""
    tid = _ticket_id(ticket_id)
    run(lambda p: p.support.queue.reply(OPERATOR, tid, text, internal=internal))
    typer.echo("internal note added" if internal else "reply sent to the user")


@app.command("close")
def close(
    ticket_id: str,
    reason: Annotated[str, typer.Option(help="Why (for the audit log).")],
) -> None:
    """Close a ticket for good."""
    tid = _ticket_id(ticket_id)
    run(lambda p: p.support.queue.close(OPERATOR, tid, reason=reason))
    typer.echo("ticket closed")


COMMANDS = (app,)
