"""`voiceqr users ...` and `voiceqr sessions ...`: accounts, as the operator at the
terminal. Every change to an account (disable, enable, lock, unlock, verify, edit,
reset-password, force-password-change, ending sessions) takes the `--reason` the
backoffice asks for, runs the backoffice's use case, and is audited with it; the
account's owner reads it on their security page."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.accounts.ports import UserQuery, UserSort
from voiceqr.application.accounts.staff import UserProfile
from voiceqr.application.accounts.timeline import TimelinePage
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import Role, User, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import NotFound
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
        typer.echo(_line(user))


Reason = Annotated[
    str, typer.Option("--reason", help="Why (the audit log and the user's security page keep it).")
]


@app.command("disable")
def disable(email: str, reason: Reason) -> None:
    """Disable an account: it cannot sign in, and its sessions end at once."""

    async def work(platform: Platform) -> User:
        user_id = await _id_of(platform, email)
        return await platform.accounts.staff.set_status(
            OPERATOR, user_id, UserStatus.DISABLED, reason=reason
        )

    typer.echo(f"disabled {run(work).email}; its sessions are ended")


@app.command("enable")
def enable(email: str, reason: Reason) -> None:
    """Enable a disabled account again."""

    async def work(platform: Platform) -> User:
        user_id = await _id_of(platform, email)
        return await platform.accounts.staff.set_status(
            OPERATOR, user_id, UserStatus.ACTIVE, reason=reason
        )

    typer.echo(f"enabled {run(work).email}")


@app.command("lock")
def lock(
    email: str,
    reason: Reason,
    minutes: Annotated[
        int,
        typer.Option(min=1, max=MAX_LOCK_MINUTES, help="How long, in minutes (at most a year)."),
    ] = 60,
) -> None:
    """Lock an account for a while; its sessions end at once."""

    async def work(platform: Platform) -> User:
        staff = platform.accounts.staff
        until = staff.clock() + timedelta(minutes=minutes)
        return await staff.lock(OPERATOR, await _id_of(platform, email), until=until, reason=reason)

    user = run(work)
    typer.echo(f"locked {user.email} until {user.locked_until:%Y-%m-%d %H:%M} UTC")


@app.command("unlock")
def unlock(email: str, reason: Reason) -> None:
    """Lift a lock (from failed sign-ins or an operator)."""

    async def work(platform: Platform) -> User:
        user_id = await _id_of(platform, email)
        return await platform.accounts.staff.unlock(OPERATOR, user_id, reason=reason)

    typer.echo(f"unlocked {run(work).email}")


@app.command("verify")
def verify(email: str, reason: Reason) -> None:
    """Mark an account's email as verified by hand."""

    async def work(platform: Platform) -> User:
        user_id = await _id_of(platform, email)
        return await platform.accounts.staff.verify_email(OPERATOR, user_id, reason=reason)

    typer.echo(f"verified {run(work).email}")


async def _id_of(platform: Platform, email: str) -> UUID:
    user = await platform.accounts.accounts.get_by_email(email)
    if user is None:
        raise NotFound(f"No account has the email {email}.", code="user_not_found")
    return user.id


def _line(user: User) -> str:
    flags = [str(user.status)] + ([] if user.is_verified else ["unverified"])
    # An unlock ends the lock now rather than forgetting when it ended: only a lock that
    # still lasts is one.
    if user.locked_until is not None and user.is_locked(datetime.now(UTC)):
        flags.append(f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")
    return f"{user.id}  {user.role:<9}  {user.email}  {user.name}  [{', '.join(flags)}]"


@app.command("search")
def search(
    text: Annotated[str, typer.Argument(help="The start of an email or a name, any case.")] = "",
    role: Annotated[Role | None, typer.Option(help="Only this role.")] = None,
    sort: Annotated[UserSort, typer.Option(help="The order.")] = UserSort.NEWEST,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 50,
) -> None:
    """Find accounts by the start of their email or name."""

    async def work(platform: Platform) -> list[User]:
        now = platform.accounts.accounts.now()
        query = UserQuery(now=now, text=text, role=role, sort=sort, limit=limit)
        return (await platform.accounts.staff.search(OPERATOR, query)).items

    found = run(work)
    for user in found:
        typer.echo(_line(user))
    if not found:
        typer.echo("no account matches")


@app.command("show")
def show(email: str) -> None:
    """An account: profile, status, sign-ins, sessions, API keys and staff actions."""

    async def work(platform: Platform) -> UserProfile:
        return await platform.accounts.staff.profile(OPERATOR, await _id_of(platform, email))

    profile = run(work)
    user = profile.user
    typer.echo(_line(user))
    typer.echo(f"signed up {user.created_at:%Y-%m-%d %H:%M} UTC")
    typer.echo(f"two-factor: {'on' if user.has_two_factor else 'off'}")
    typer.echo(f"active sessions: {len(profile.sessions)}")
    keys = profile.api_keys
    typer.echo(f"API keys: {sum(k.is_active() for k in keys)} active of {len(keys)}")
    typer.echo("sign-ins (newest first):")
    for e in profile.login_history[:10]:
        result = "ok" if e.success else f"failed ({e.reason})"
        typer.echo(f"  {e.occurred_at:%Y-%m-%d %H:%M} UTC  {result}  {e.method}  {e.ip}")
    typer.echo("staff actions (newest first):")
    for a in profile.staff_actions:
        why = a.details.get("reason", "")
        typer.echo(f"  {a.occurred_at:%Y-%m-%d %H:%M} UTC  {a.action}  by {a.actor}  {why}")


@app.command("edit")
def edit(
    email: str,
    reason: Reason,
    name: Annotated[str | None, typer.Option(help="A new display name.")] = None,
    new_email: Annotated[
        str | None, typer.Option("--email", help="A new email, in use at once.")
    ] = None,
    role: Annotated[Role | None, typer.Option(help="A new role.")] = None,
) -> None:
    """Change an account's name, email or role (the old address is told of a new one)."""
    if name is None and new_email is None and role is None:
        raise fail("give --name, --email or --role", 2)

    async def work(platform: Platform) -> User:
        staff, user_id = platform.accounts.staff, await _id_of(platform, email)
        user = None
        if name is not None or new_email is not None:
            user = await staff.edit(OPERATOR, user_id, reason=reason, name=name, email=new_email)
        if role is not None:
            user = await staff.change_role(OPERATOR, user_id, role, reason=reason)
        assert user is not None
        return user

    typer.echo(f"changed: {_line(run(work))}")


@app.command("reset-password")
def reset_password(email: str, reason: Reason) -> None:
    """Mail the account a password reset link (the password works until it is used)."""

    async def work(platform: Platform) -> User:
        user_id = await _id_of(platform, email)
        return await platform.accounts.staff.send_password_reset(OPERATOR, user_id, reason=reason)

    typer.echo(f"mailed a reset link to {run(work).email}")


@app.command("force-password-change")
def force_password_change(
    email: Annotated[
        str | None, typer.Argument(help="The account; leave out with --everyone.")
    ] = None,
    reason: Reason = "",
    everyone: Annotated[
        bool, typer.Option("--everyone", help="Every account with a password (an incident).")
    ] = False,
) -> None:
    """The password stops working, sessions end, and a link to choose a new one is mailed."""
    if (email is None) == (not everyone):
        raise fail("give an EMAIL or --everyone", 2)

    async def work(platform: Platform) -> int:
        staff = platform.accounts.staff
        if everyone:
            return await staff.force_everyone_password_change(OPERATOR, reason=reason)
        assert email is not None
        await staff.force_password_change(OPERATOR, await _id_of(platform, email), reason=reason)
        return 1

    count = run(work)
    typer.echo(f"reset the password of {count} account{'' if count == 1 else 's'}; links mailed")


@app.command("timeline")
def timeline(
    email: str,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this kind (repeat for more).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many entries.")] = 50,
) -> None:
    """What happened on an account, newest first: sign-ins, sessions, generations, API
    keys, mail and staff actions."""

    async def work(platform: Platform) -> TimelinePage:
        user_id = await _id_of(platform, email)
        return await platform.accounts.timeline.page(
            OPERATOR, user_id, kinds=kind or (), limit=limit
        )

    page = run(work)
    for e in page.items:
        mark = "" if e.ok else "FAILED "
        detail = f"  ({e.detail})" if e.detail else ""
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.kind:<10}  {mark}{e.what}{detail}")
    if not page.items:
        typer.echo("nothing has happened on this account yet")
    elif page.next_cursor:
        typer.echo(f"(older entries: --limit more than {limit}, or the web timeline)")


sessions_app = typer.Typer(name="sessions", no_args_is_help=True, help="Sign-in sessions.")


@sessions_app.command("end-all")
def end_all(
    reason: Reason,
    user: Annotated[str | None, typer.Option("--user", help="Only this account's email.")] = None,
) -> None:
    """Sign out every session of one account (--user), or of everyone (an incident)."""

    async def work(platform: Platform) -> str:
        staff = platform.accounts.staff
        if user is None:
            count = await staff.end_everyones_sessions(OPERATOR, reason=reason)
            return f"signed out every session of {count} account{'' if count == 1 else 's'}"
        ended = await staff.end_sessions(OPERATOR, await _id_of(platform, user), reason=reason)
        return f"ended {ended} session{'' if ended == 1 else 's'} of {user}"

    typer.echo(run(work))


COMMANDS = (app, sessions_app)
"""What `voiceqr` gains from this module (see `main.py`)."""
