"""What every command shares: one error line, the exit code for each kind of refusal,
and running one piece of work on a freshly built platform."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

import typer

from voiceqr import logs
from voiceqr.bootstrap import Platform, build
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.entrypoints.worker.registry import start_worker
from voiceqr.settings import Settings, SettingsError, load

T = TypeVar("T")

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


def exit_code(error: DomainError) -> int:
    return EXIT_CODES.get(error.category.broad, 1)


def settings() -> Settings:
    try:
        loaded = load()
    except SettingsError as exc:
        raise fail(str(exc), 2) from None
    logs.configure(loaded.log_level, loaded.log_format)
    return loaded


def run(work: Callable[[Platform], Awaitable[T]], *, start: bool = True, worker: bool = False) -> T:
    """Build the platform, run one piece of work on it, and close it again."""
    loaded = settings()

    async def go() -> T:
        platform = build(loaded)
        try:
            if start:
                await (start_worker(platform) if worker else platform.start())
            return await work(platform)
        finally:
            await platform.stop()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        raise fail(exc.message, exit_code(exc)) from None
    except (ConnectionError, OSError) as exc:
        raise fail(f"cannot reach a service: {exc}", 1) from None
    except typer.Exit:
        raise
    except Exception as exc:  # the operator gets one line, not a traceback
        raise fail(
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", 1
        ) from None


def echo_lines(items: Sequence[T], line: Callable[[T], str], *, none: str) -> None:
    """One line per item, or `none` when there are none (a listing command's output)."""
    if not items:
        typer.echo(none)
    for item in items:
        typer.echo(line(item))
