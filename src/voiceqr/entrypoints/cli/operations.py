"""`voiceqr audit` and `voiceqr failures`: what admins did, and how generations fail."""

from __future__ import annotations

from typing import Annotated

import typer

from voiceqr.application.operations.audit import MAX_AUDIT_PAGE
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.domain.operations.failure_monitoring import StatsWindow
from voiceqr.entrypoints.cli.kit import echo_lines, run

app = typer.Typer()


@app.command("audit")
def audit_log(
    limit: Annotated[int, typer.Option(min=1, max=MAX_AUDIT_PAGE, help="How many.")] = 50,
    action: Annotated[
        str | None, typer.Option(help="One action (generation.retry) or a prefix (generation).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help='An admin\'s email, or "cli".')] = None,
) -> None:
    """Show the audit log of admin actions, newest first."""
    page = run(lambda p: p.operations.audit.page(OPERATOR, limit=limit, action=action, actor=actor))
    echo_lines(page.items, _audit_line, none="no admin actions recorded")


def _audit_line(e: AuditEvent) -> str:
    details = " ".join(f"{k}={v}" for k, v in e.details.items())
    where = f" from {e.ip}" if e.ip else ""
    return (
        f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.actor}{where}  {e.action}  "
        f"{e.target_type}:{e.target_id}  {details}".rstrip()
    )


@app.command("failures")
def failure_stats(
    window: Annotated[StatsWindow, typer.Option(help="How far back.")] = StatsWindow.DAY,
) -> None:
    """Failed generation attempts by category, and the current failure rate."""
    stats = run(lambda p: p.operations.failure_monitor.stats(OPERATOR, window=window))
    current, policy = stats.current, stats.policy
    state = "OVER THE ALERT THRESHOLD" if stats.over_threshold else "below the alert threshold"
    typer.echo(
        f"now: {current.failed} of {current.finished} attempts failed in the last "
        f"{policy.window.total_seconds() / 60:.0f} min ({current.rate:.0%}; {state} of "
        f"{policy.threshold:.0%} over at least {policy.min_attempts} attempts)"
    )
    typer.echo(f"last {window}: {stats.failed} of {stats.finished} attempts failed")
    for category, count in stats.by_category.items():
        typer.echo(f"  {category:<16} {count}")


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
