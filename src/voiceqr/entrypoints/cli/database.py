"""`voiceqr db ...`: schema migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.cli.kit import run

app = typer.Typer(name="db", no_args_is_help=True, help="Database schema migrations.")


@app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""

    async def work(platform: Platform) -> str | None:
        await platform.upgrade_database(revision)
        return await platform.database_revision()

    typer.echo(f"database at revision {run(work, start=False)}")


# A relative target such as -1 is a revision, not an unknown option.
@app.command("downgrade", context_settings={"ignore_unknown_options": True})
def downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""

    async def work(platform: Platform) -> str | None:
        await platform.downgrade_database(revision)
        return await platform.database_revision()

    typer.echo(f"database at revision {run(work, start=False)}")


@app.command("current")
def current() -> None:
    """Show the applied revision."""
    typer.echo(run(lambda p: p.database_revision(), start=False) or "empty (no migrations)")


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
