"""`voiceqr users export|delete`: the user's own data leaving, as the operator at the terminal.

These commands join the `users` group of `accounts.py`, attached to it when this module
is imported: the CLI imports its modules in the order of their names, this one first,
and typer builds the group only when the command line runs, with every command on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from voiceqr.bootstrap import Platform
from voiceqr.domain.account_data.deletion import AccountDeletion
from voiceqr.domain.account_data.export import AccountExport, ExportStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import NotFound
from voiceqr.entrypoints.cli.accounts import app as users
from voiceqr.entrypoints.cli.kit import fail, run


@users.command("export")
def export(
    email: str,
    wait: Annotated[
        bool, typer.Option("--wait", help="Build the archive here and now, not in a worker.")
    ] = False,
) -> None:
    """Make an archive of an account's data; its owner is mailed the download link."""

    async def work(platform: Platform) -> AccountExport:
        user = await platform.accounts.accounts.get_by_email(email)
        if user is None:
            raise NotFound(f"No account has the email {email}.", code="user_not_found")
        exports = platform.account_exports
        made = await exports.request(user, actor=OPERATOR)
        if wait:
            await exports.build(made.id)
        return await exports.of(user, made.id)

    made = run(work)
    if made.status is ExportStatus.READY:
        typer.echo(
            f"archive {made.id} of {email} is ready ({made.size} bytes); the owner is mailed"
        )
    elif made.status is ExportStatus.FAILED:
        raise fail(f"the archive {made.id} of {email} could not be made")
    else:
        typer.echo(f"archive {made.id} of {email} asked for: a worker makes it and mails the link")


@users.command("delete")
def delete(
    email: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    now: Annotated[
        bool, typer.Option("--now", help="Delete here and now rather than in a worker.")
    ] = False,
) -> None:
    """Delete an account and everything it made (its printed codes answer 410)."""

    async def work(platform: Platform) -> AccountDeletion:
        return await platform.account_deletions.delete_by_email(
            OPERATOR, email, reason=reason, at_once=now
        )

    deletion = run(work)
    if now:
        typer.echo(f"deleted {email} ({deletion.user_id})")
    else:
        typer.echo(f"deleting {email} ({deletion.user_id}): a worker removes everything")


COMMANDS: tuple[typer.Typer, ...] = ()
"""None of its own: its commands join `voiceqr users` (see the module's docstring)."""
