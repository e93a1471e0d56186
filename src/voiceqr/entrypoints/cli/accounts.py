"""`voiceqr users ...`: accounts, as the operator at the terminal."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Annotated

import typer

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.entrypoints.cli.kit import fail, run

MAX_LOCK_MINUTES = 365 * 24 * 60  # a year; an account to keep out for good is disabled

app = typer.Typer(name="users", no_args_is_help=True, help="Accounts.")


@app.command("create")
def create(
    email: str,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    role: Annotated[
        Role | None, typer.Option("--role", help="What the account may do (default: user).")
    ] = None,
    admin: Annotated[bool, typer.Option("--admin", help="The same as --role admin.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account."""
    if admin and role is not None:
        raise fail("give --role or --admin, not both (--admin is --role admin)", 2)
    chosen = Role.ADMIN if admin else role or Role.USER
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(platform: Platform) -> User:
        return await platform.accounts.accounts.create_user(
            email=email, name=name, password=password, role=chosen, actor=OPERATOR
        )

    user = run(work)
    typer.echo(f"created {user.role} {user.email} ({user.id})")


@app.command("list")
def list_accounts() -> None:
    """List accounts."""
    for user in run(lambda p: p.accounts.accounts.list_users(OPERATOR)):
        flags = [str(user.status)]
        if not user.is_verified:
            flags.append("unverified")
        if user.locked_until is not None:
            flags.append(f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")
        typer.echo(f"{user.id}  {user.role:<5}  {user.email}  {user.name}  [{', '.join(flags)}]")


@app.command("disable")
def disable(email: str) -> None:
    """Disable an account: it cannot sign in, and its sessions end at once."""
    user = run(lambda p: p.accounts.accounts.set_status(email, UserStatus.DISABLED, actor=OPERATOR))
    typer.echo(f"disabled {user.email}; its sessions are ended")


@app.command("enable")
def enable(email: str) -> None:
    """Enable a disabled account again."""
    user = run(lambda p: p.accounts.accounts.set_status(email, UserStatus.ACTIVE, actor=OPERATOR))
    typer.echo(f"enabled {user.email}")


@app.command("lock")
def lock(
    email: str,
    minutes: Annotated[
        int,
        typer.Option(min=1, max=MAX_LOCK_MINUTES, help="How long, in minutes (at most a year)."),
    ] = 60,
) -> None:
    """Lock an account for a while; its sessions end at once."""

    async def work(platform: Platform) -> User:
        until = platform.accounts.accounts.now() + timedelta(minutes=minutes)
        return await platform.accounts.accounts.lock(email, until=until, actor=OPERATOR)

    user = run(work)
    typer.echo(f"locked {user.email} until {user.locked_until:%Y-%m-%d %H:%M} UTC")


@app.command("unlock")
def unlock(email: str) -> None:
    """Lift a lock (from failed sign-ins or an operator)."""
    user = run(lambda p: p.accounts.accounts.lock(email, until=None, actor=OPERATOR))
    typer.echo(f"unlocked {user.email}")


@app.command("verify")
def verify(email: str) -> None:
    """Mark an account's email as verified by hand."""
    user = run(lambda p: p.accounts.accounts.mark_verified(email, actor=OPERATOR))
    typer.echo(f"verified {user.email}")


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
