"""`voiceqr mail`: the mail outbox, and `voiceqr mail news` to mail product news to the
users who asked for it (acting as the operator, "cli" in the audit log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

app = typer.Typer(name="mail", invoke_without_command=True)


@app.callback()
def outbox(
    context: typer.Context,
    failed: Annotated[bool, typer.Option("--failed", help="Only mail that gave up.")] = False,
    deliver: Annotated[bool, typer.Option("--deliver", help="Send what is due first.")] = False,
) -> None:
    """Show the mail outbox (newest first); --deliver sends what is due now."""
    if context.invoked_subcommand is not None:
        return

    async def work(platform: Platform) -> list[OutboxMessage]:
        if deliver:
            await platform.mail.delivery.deliver_due()
        return await platform.mail.delivery.outbox(OPERATOR, failed_only=failed)

    echo_lines(
        run(work),
        lambda m: (
            f"{m.created_at:%Y-%m-%d %H:%M}  {m.status:<7}  tries={m.attempts}  {m.to}  "
            f"{m.subject}" + (f"  ({m.last_error})" if m.last_error else "")
        ),
        none="no mail",
    )


@app.command("news")
def news(
    file: Annotated[Path, typer.Argument(help="The news, plain text (UTF-8).")],
    subject: Annotated[str, typer.Option("--subject", help="The mail's subject.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the recipients; queue nothing.")
    ] = False,
) -> None:
    """Queue product news for every confirmed user who opted in (sent by the worker)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}", 2) from None

    async def work(platform: Platform) -> int:
        return await platform.mail.scheduled.send_product_news(
            OPERATOR, subject=subject, text=text, dry_run=dry_run
        )

    count = run(work)
    typer.echo(f"{'would tell' if dry_run else 'told'} {count} user(s) the product news")


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
