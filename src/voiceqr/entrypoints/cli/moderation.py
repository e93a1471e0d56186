"""`voiceqr moderation ...`: the moderation queue at the terminal, the same use cases
as the staff pages and API (acting as the operator, "cli" in the audit log)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.moderation.decisions import decision_request
from voiceqr.application.moderation.queue import MAX_PAGE, ItemView, QueueEntry
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.moderation.cases import DECISION_LABELS, DecisionKind, Sanction
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.shared.errors import DomainError
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run
from voiceqr.entrypoints.cli.moderation_rules import register as register_rules

app = typer.Typer(
    name="moderation", no_args_is_help=True, help="Content moderation: the queue, decisions."
)


def _generation_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise fail(f"{value!r} is not a generation id", 2) from None


def _line(entry: QueueEntry) -> str:
    c, g = entry.case, entry.generation
    marks = " appealed" if c.appeal_pending else ""
    marks += " escalated" if c.escalated else ""
    return (
        f"{g.id}  {entry.score:5.1f}  {g.public_code}  {entry.owner_email}  "
        f"{len(entry.reports)} reports {len(entry.flags)} flags {entry.scans} scans{marks}  "
        f"{g.text[:60]}"
    )


@app.command("queue")
def queue(
    escalated: Annotated[
        bool | None, typer.Option("--escalated/--not-escalated", help="Only these items.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Only items this rule (id) flagged.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE)] = 50,
) -> None:
    """The items waiting for a decision, highest priority first."""
    rule_id = None if rule is None else _generation_id(rule)
    found = run(
        lambda p: p.moderation.queue.queue(
            OPERATOR, rule_id=rule_id, escalated=escalated, limit=limit
        )
    )
    echo_lines(found.entries, _line, none="nothing waits for a decision")


@app.command("show")
def show(generation_id: str) -> None:
    """An item: its text, reports, flags, appeals, notes and history."""
    gid = _generation_id(generation_id)
    view: ItemView = run(lambda p: p.moderation.queue.item(OPERATOR, gid))
    entry, case = view.entry, view.entry.case
    typer.echo(f"code {entry.generation.public_code}  state: {case.state}  score {entry.score}")
    typer.echo(f"owner: {entry.owner_email}  scans: {entry.scans}")
    typer.echo(f"text: {entry.generation.text}")
    for r in entry.reports:
        typer.echo(
            f"report  {r.created_at:%Y-%m-%d %H:%M}  {r.reason}  {r.outcome or ''}  {r.note}"
        )
    for f in entry.flags:
        rule = f" rule {f.rule_id}" if f.rule_id else ""
        typer.echo(f"flag    {f.created_at:%Y-%m-%d %H:%M}  {f.source} {f.reason}{rule}  {f.note}")
    for a in view.appeals:
        typer.echo(f"appeal  {a.created_at:%Y-%m-%d %H:%M}  {a.message}")
    for n in view.notes:
        typer.echo(f"note    {n.created_at:%Y-%m-%d %H:%M}  {n.author_label}: {n.body}")
    for d in view.decisions:
        typer.echo(
            f"decided {d.decided_at:%Y-%m-%d %H:%M}  {DECISION_LABELS[d.kind]}"
            f"{' (' + d.reason_code + ')' if d.reason_code else ''}  by {d.decided_by_label}: "
            f"{d.reason}"
        )


@app.command("decide")
def decide(
    generation_id: str,
    kind: Annotated[DecisionKind, typer.Argument(help="What to decide.")],
    reason: Annotated[str, typer.Option(help="Why (the owner and the audit log see it).")],
    category: Annotated[
        ReasonCode | None, typer.Option(help="What it breaks (quarantine, delete, ban_owner).")
    ] = None,
    sanction: Annotated[
        Sanction | None, typer.Option(help="For ban_owner: warn, suspend or ban.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="For a suspension: its end, e.g. 2026-12-31T18:00 (UTC).")
    ] = None,
) -> None:
    """Take a decision on an item (dismiss, reviewed_fine, quarantine, reverse, delete,
    ban_owner)."""
    gid = _generation_id(generation_id)
    try:
        request = decision_request(
            str(kind),
            reason,
            "" if category is None else str(category),
            "" if sanction is None else str(sanction),
            until or "",
        )
    except DomainError as exc:
        raise fail(exc.message, 2) from None
    decision = run(lambda p: p.moderation.decisions.decide(OPERATOR, gid, request))
    counted = f" ({decision.codes_quarantined} codes quarantined)" if decision.sanction else ""
    typer.echo(f"{DECISION_LABELS[decision.kind]}{counted}")


register_rules(app)  # filters, rules and held texts: cli/moderation_rules.py
COMMANDS = (app,)
