"""`voiceqr`: run the platform and operate it from a terminal.

Each module of this package that declares `COMMANDS` brings them (`accounts.py` for
`voiceqr users ...`, and so on), found by name with no list to keep, in the order of
the modules' names. This module puts them under one command and turns a command line
it cannot use into one error line and exit code 2, like every other refusal (see
`kit.py`)."""

from __future__ import annotations

import contextlib
import pkgutil
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import typer

# typer (0.29+) runs on its own copy of click: its contexts and usage errors are these.
from typer._click.core import Context
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from voiceqr.entrypoints import cli
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


def _feature_commands() -> Iterator[typer.Typer]:
    """Each module's `COMMANDS`, in the order of the modules' names (this one has none)."""
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda info: info.name):
        yield from getattr(import_module(f"{cli.__name__}.{info.name}"), "COMMANDS", ())


for commands in _feature_commands():
    app.add_typer(commands)


def main() -> None:
    app()
