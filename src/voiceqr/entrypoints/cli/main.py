"""`voiceqr`: run the platform and operate it from a terminal.

Each feature brings its commands (`accounts.py` for `voiceqr users ...`, and so on);
this module puts them under one command and turns a command line it cannot use into
one error line and exit code 2, like every other refusal (see `kit.py`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import typer

# typer (0.29+) runs on its own copy of click: its contexts and usage errors are these.
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from voiceqr.entrypoints.cli import (
    accounts,
    database,
    generations,
    mail,
    operations,
    running,
    voices,
)
from voiceqr.entrypoints.cli.kit import fail


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
app.add_typer(running.app)
app.add_typer(database.app, name="db")
app.add_typer(accounts.app, name="users")
app.add_typer(voices.app, name="voices")
app.add_typer(generations.app, name="generations")
app.add_typer(mail.app)
app.add_typer(generations.commands)
app.add_typer(operations.app)


def main() -> None:
    app()
