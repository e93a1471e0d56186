"""`voiceqr`: run the platform and operate it from a terminal."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

import typer

# typer (0.29+) runs on its own copy of click: its contexts and usage errors are these.
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from voiceqr import logs
from voiceqr.application.generations.revisions import Edit
from voiceqr.application.operations.audit import MAX_AUDIT_PAGE
from voiceqr.bootstrap import Platform, build
from voiceqr.domain.accounts.users import Role, UserStatus
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.mail.outbox import OutboxStatus
from voiceqr.domain.operations.failure_monitoring import StatsWindow
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, NotFound, ValidationError
from voiceqr.settings import Settings, SettingsError, all_variables, load

T = TypeVar("T")

MAX_LOCK_MINUTES = 365 * 24 * 60  # a year; an account to keep out for good is disabled


class _Commands(TyperGroup):
    """`voiceqr` itself: a command line it cannot use (an unknown option, a value out of
    range, a missing argument) is one `error: ...` line and exit code 2, like every
    other refusal, rather than click's usage box."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Context | None = None,
        **extra: Any,
    ) -> Context:
        with _usage_errors():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: Context) -> Any:
        with _usage_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    try:
        yield
    except NoArgsIsHelpError:
        raise  # `voiceqr users` alone shows what it can do
    except UsageError as exc:
        help_hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        raise fail(exc.format_message().rstrip(".") + help_hint, 2) from None


app = typer.Typer(
    cls=_Commands,
    no_args_is_help=True,
    help="voiceqr: spoken audio behind a QR code.",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema migrations.")
users_app = typer.Typer(no_args_is_help=True, help="Accounts.")
voices_app = typer.Typer(no_args_is_help=True, help="The voice gallery.")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(voices_app, name="voices")
generations_app = typer.Typer(no_args_is_help=True, help="Failed generations: inspect and recover.")
app.add_typer(generations_app, name="generations")

EXIT_CODES = {
    ErrorCategory.VALIDATION: 2,
    ErrorCategory.NOT_FOUND: 3,
    ErrorCategory.CONFLICT: 4,
    ErrorCategory.PERMISSION: 5,
    ErrorCategory.AUTHENTICATION: 5,
}


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _settings() -> Settings:
    try:
        settings = load()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    logs.configure(settings.log_level, settings.log_format)
    return settings


def _run(
    work: Callable[[Platform], Awaitable[T]], *, start: bool = True, worker: bool = False
) -> T:
    """Build the platform, run one piece of work on it, and close it again."""
    settings = _settings()

    async def go() -> T:
        platform = build(settings)
        try:
            if start:
                await platform.start(worker=worker)
            return await work(platform)
        finally:
            await platform.stop()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise fail(exc.message, EXIT_CODES.get(exc.category, 1)) from None
    except (ConnectionError, OSError) as exc:
        raise fail(f"cannot reach a service: {exc}", 1) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the operator gets one line, not a traceback
        raise fail(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", 1
        ) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port to listen on.")] = None,
) -> None:
    """Run the web app (and, on the in-process queue, the worker)."""
    import uvicorn

    from voiceqr.entrypoints.http import create_app

    settings = _settings()
    host = host or settings.host
    port = port or settings.port
    platform = build(settings)
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    typer.echo(f"voiceqr is starting; open {address}", err=True)
    if settings.queue.backend == "memory":
        typer.echo("embedded mode: the worker and sweeper run in this process", err=True)
    uvicorn.run(
        create_app(platform),
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Jobs at once.")] = 4,
) -> None:
    """Process generation jobs from the Redis stream and run the sweeper."""
    from voiceqr.entrypoints.worker.main import run_worker

    settings = _settings()
    if settings.queue.backend != "redis":
        raise fail(
            "VOICEQR_QUEUE=memory runs the worker inside `voiceqr serve`; "
            "set VOICEQR_QUEUE=redis for separate workers.",
            2,
        )
    asyncio.run(run_worker(build(settings), concurrency=concurrency))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""

    async def work(platform: Platform) -> str | None:
        await platform.upgrade_database(revision)
        return await platform.database_revision()

    typer.echo(f"database at revision {_run(work, start=False)}")


# A relative target such as -1 is a revision, not an unknown option.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""

    async def work(platform: Platform) -> str | None:
        await platform.downgrade_database(revision)
        return await platform.database_revision()

    typer.echo(f"database at revision {_run(work, start=False)}")


@db_app.command("current")
def db_current() -> None:
    """Show the applied revision."""
    typer.echo(_run(lambda p: p.database_revision(), start=False) or "empty (no migrations)")


@users_app.command("create")
def users_create(
    email: str,
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make an administrator.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def work(platform: Platform) -> Any:
        return await platform.accounts.create_user(
            email=email,
            name=name,
            password=password,
            role=Role.ADMIN if admin else Role.USER,
            actor=OPERATOR,
        )

    user = _run(work)
    typer.echo(f"created {user.role} {user.email} ({user.id})")


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    for user in _run(lambda p: p.accounts.list_users(OPERATOR)):
        flags = [str(user.status)]
        if not user.is_verified:
            flags.append("unverified")
        if user.locked_until is not None:
            flags.append(f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")
        typer.echo(f"{user.id}  {user.role:<5}  {user.email}  {user.name}  [{', '.join(flags)}]")


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable an account: it cannot sign in, and its sessions end at once."""
    user = _run(lambda p: p.accounts.set_status(email, UserStatus.DISABLED, actor=OPERATOR))
    typer.echo(f"disabled {user.email}; its sessions are ended")


@users_app.command("enable")
def users_enable(email: str) -> None:
    """Enable a disabled account again."""
    user = _run(lambda p: p.accounts.set_status(email, UserStatus.ACTIVE, actor=OPERATOR))
    typer.echo(f"enabled {user.email}")


@users_app.command("lock")
def users_lock(
    email: str,
    minutes: Annotated[
        int,
        typer.Option(min=1, max=MAX_LOCK_MINUTES, help="How long, in minutes (at most a year)."),
    ] = 60,
) -> None:
    """Lock an account for a while; its sessions end at once."""

    async def work(platform: Platform) -> Any:
        until = platform.accounts.now() + timedelta(minutes=minutes)
        return await platform.accounts.lock(email, until=until, actor=OPERATOR)

    user = _run(work)
    typer.echo(f"locked {user.email} until {user.locked_until:%Y-%m-%d %H:%M} UTC")


@users_app.command("unlock")
def users_unlock(email: str) -> None:
    """Lift a lock (from failed sign-ins or an operator)."""

    async def work(platform: Platform) -> Any:
        return await platform.accounts.lock(email, until=None, actor=OPERATOR)

    typer.echo(f"unlocked {_run(work).email}")


@users_app.command("verify")
def users_verify(email: str) -> None:
    """Mark an account's email as verified by hand."""
    typer.echo(f"verified {_run(lambda p: p.accounts.mark_verified(email, actor=OPERATOR)).email}")


@app.command("mail")
def mail_status(
    failed: Annotated[bool, typer.Option("--failed", help="Only mail that gave up.")] = False,
    deliver: Annotated[bool, typer.Option("--deliver", help="Send what is due first.")] = False,
) -> None:
    """Show the mail outbox (newest first); --deliver sends what is due now."""

    async def work(platform: Platform) -> list[Any]:
        if deliver:
            await platform.mail_delivery.deliver_due()
        async with platform.uow() as uow:
            return await uow.outbox.list(status=OutboxStatus.FAILED if failed else None, limit=100)

    messages = _run(work)
    if not messages:
        typer.echo("no mail")
    for m in messages:
        error = f"  ({m.last_error})" if m.last_error else ""
        typer.echo(
            f"{m.created_at:%Y-%m-%d %H:%M}  {m.status:<7}  tries={m.attempts}  {m.to}  "
            f"{m.subject}{error}"
        )


@voices_app.command("list")
def voices_list(
    all_voices: Annotated[bool, typer.Option("--all", help="Include unpublished voices.")] = False,
) -> None:
    """List the voice gallery."""

    async def work(platform: Platform) -> list[Any]:
        async with platform.uow() as uow:
            return await uow.voices.list(published_only=not all_voices)

    voices = _run(work)
    if not voices:
        typer.echo("no voices yet; run `voiceqr voices seed`")
    for v in voices:
        state = "published" if v.published else "hidden"
        typer.echo(f"{v.id}  {v.name:<12} {v.provider}:{v.provider_voice_id:<22} {state}")


@voices_app.command("seed")
def voices_seed() -> None:
    """Add the default voices (with spoken samples) to an empty gallery."""
    added = _run(lambda p: p.voices.seed(p.default_voices))
    typer.echo(
        f"added {added} voices" if added else "the gallery already has voices; nothing added"
    )


@app.command()
def generate(
    text: str,
    voice: Annotated[str, typer.Option(help="Voice id or name.")],
    owner: Annotated[str, typer.Option(help="Email of the owning account.")],
    audio_out: Annotated[Path, typer.Option(help="Where to write the MP3.")],
    qr_out: Annotated[Path, typer.Option(help="Where to write the QR code (.png or .svg).")],
    qr_size: Annotated[int, typer.Option(min=64, max=4096)] = 512,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the audio (more than 0).")
    ] = 300,
) -> None:
    """Make a generation and wait for its audio and QR code."""
    if qr_out.suffix.lower() not in (".png", ".svg"):
        raise fail("--qr-out must end in .png or .svg", 2)
    if not (timeout > 0 and math.isfinite(timeout)):
        raise fail(f"--timeout takes a number of seconds above 0, not {timeout}", 2)
    for option, out in (("--audio-out", audio_out), ("--qr-out", qr_out)):
        _check_writable(option, out)

    async def work(platform: Platform) -> tuple[str, str]:
        user = await platform.accounts.get_by_email(owner)
        if user is None:
            raise NotFound(f"No account has the email {owner}.")
        voice_id = await _find_voice(platform, voice)
        generation = await platform.generations.request(user, text=text, voice_id=voice_id)
        deadline = time.monotonic() + timeout
        while not generation.is_finished:
            if time.monotonic() > deadline:
                raise fail(
                    f"timed out after {timeout:.0f}s; generation {generation.id} is "
                    f"{generation.status} (is a worker running?)",
                    1,
                )
            await asyncio.sleep(0.3)
            generation = await platform.generations.get_for_owner(user, generation.id)
        if generation.status is GenerationStatus.FAILED or generation.audio_key is None:
            raise fail(
                f"generation failed ({generation.error_category}/{generation.error_code}): "
                f"{generation.error_message}",
                1,
            )
        audio = await platform.storage.get(generation.audio_key)
        url = platform.playback_url(generation.public_code)
        qr = (
            platform.qr.png(url, size=qr_size)
            if qr_out.suffix.lower() == ".png"
            else platform.qr.svg(url, size=qr_size)
        )
        audio_out.write_bytes(audio)
        qr_out.write_bytes(qr)
        return str(generation.id), url

    settings = _settings()
    generation_id, url = _run(work, worker=settings.queue.backend == "memory")
    typer.echo(f"generation {generation_id} completed")
    typer.echo(f"audio: {audio_out}")
    typer.echo(f"qr:    {qr_out} -> {url}")


@generations_app.command("failed")
def generations_failed(
    category: Annotated[
        ErrorCategory | None, typer.Option(help="Only this failure category.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """List failed generations of every user, latest failure first."""
    found = _run(lambda p: p.generation_failures.list(OPERATOR, category=category, limit=limit))
    if not found:
        typer.echo("no failed generations")
    for g in found:
        when = f"{g.updated_at:%Y-%m-%d %H:%M}" if g.updated_at else "-"
        typer.echo(
            f"{g.id}  {when}  {g.error_category}/{g.error_code}  tries={g.attempts}  "
            f"{g.error_message}"
        )


@generations_app.command("retry")
def generations_retry(ids: Annotated[list[UUID], typer.Argument(help="Generation ids.")]) -> None:
    """Requeue failed generations with a new attempt budget."""

    async def work(platform: Platform) -> Any:
        return await platform.generation_failures.retry_many(OPERATOR, ids)

    report = _run(work)
    for generation_id in report.retried:
        typer.echo(f"retrying {generation_id}")
    for generation_id, exc in report.skipped.items():
        typer.secho(f"skipped {generation_id}: {exc.message}", err=True, fg=typer.colors.YELLOW)
    if report.skipped:  # exit like the first refusal (3: not found, 4: not failed)
        first = next(iter(report.skipped.values()))
        raise typer.Exit(EXIT_CODES.get(first.category, 1))


@generations_app.command("cancel")
def generations_cancel(generation_id: UUID) -> None:
    """Stop a pending or processing generation for good; its owner is told by mail."""
    generation = _run(lambda p: p.generation_failures.cancel(OPERATOR, generation_id))
    typer.echo(f"cancelled {generation.id} ({generation.error_code})")


@generations_app.command("edit")
def generations_edit(
    generation_id: UUID,
    text: Annotated[str | None, typer.Option(help="The corrected text to speak.")] = None,
    voice: Annotated[str | None, typer.Option(help="Another voice: id or name.")] = None,
) -> None:
    """Correct the text and/or voice of a failed generation and requeue it as a new revision."""
    if text is None and voice is None:
        raise fail("give --text, --voice or both", 2)

    async def work(platform: Platform) -> Any:
        voice_id = None if voice is None else await _find_voice(platform, voice)
        return await platform.generation_revisions.edit_failed(
            OPERATOR, generation_id, Edit(text=text, voice_id=voice_id)
        )

    generation = _run(work)
    typer.echo(f"requeued {generation.id} as revision {generation.revision}")


@app.command("audit")
def audit_log(
    limit: Annotated[int, typer.Option(min=1, max=MAX_AUDIT_PAGE, help="How many.")] = 50,
    action: Annotated[
        str | None, typer.Option(help="One action (generation.retry) or a prefix (generation).")
    ] = None,
    actor: Annotated[str | None, typer.Option(help='An admin\'s email, or "cli".')] = None,
) -> None:
    """Show the audit log of admin actions, newest first."""
    page = _run(lambda p: p.audit.page(OPERATOR, limit=limit, action=action, actor=actor))
    if not page.items:
        typer.echo("no admin actions recorded")
    for e in page.items:
        details = " ".join(f"{k}={v}" for k, v in e.details.items())
        where = f" from {e.ip}" if e.ip else ""
        typer.echo(
            f"{e.occurred_at:%Y-%m-%d %H:%M:%S}  {e.actor}{where}  {e.action}  "
            f"{e.target_type}:{e.target_id}  {details}".rstrip()
        )


@app.command("failures")
def failure_stats(
    window: Annotated[StatsWindow, typer.Option(help="How far back.")] = StatsWindow.DAY,
) -> None:
    """Failed generation attempts by category, and the current failure rate (F6)."""
    stats = _run(lambda p: p.failure_monitor.stats(OPERATOR, window=window))
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


@app.command("settings")
def show_settings() -> None:
    """Every setting, its type and its default."""
    for name, kind, default in all_variables():
        typer.echo(f"{name:<42} {kind:<28} {default!r}")


def _check_writable(option: str, path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    folder = path.parent
    if path.is_dir():
        raise fail(f"{option} {path} is a folder; give a file name", 2)
    if not folder.is_dir():
        raise fail(f"{option}: there is no folder {folder}", 2)
    if not os.access(folder, os.W_OK):
        raise fail(f"{option}: the folder {folder} cannot be written to", 2)


async def _find_voice(platform: Platform, wanted: str) -> UUID:
    voices = await platform.voices.list_for(None)
    try:
        voice_id = UUID(wanted)
    except ValueError:
        matches = [v for v in voices if v.name.lower() == wanted.strip().lower()]
        if not matches:
            names = ", ".join(v.name for v in voices) or "none"
            raise ValidationError(
                f"No published voice is called '{wanted}' (voices: {names})."
            ) from None
        return matches[0].id
    return voice_id


def main() -> None:
    app()
