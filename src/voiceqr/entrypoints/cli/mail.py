"""`voiceqr mail`: the mail outbox."""

from __future__ import annotations

from typing import Annotated

import typer

from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.entrypoints.cli.kit import echo_lines, run

app = typer.Typer()


@app.command("mail")
def outbox(
    failed: Annotated[bool, typer.Option("--failed", help="Only mail that gave up.")] = False,
    deliver: Annotated[bool, typer.Option("--deliver", help="Send what is due first.")] = False,
) -> None:
    """Show the mail outbox (newest first); --deliver sends what is due now."""

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


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
