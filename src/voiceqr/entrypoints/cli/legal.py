"""`voiceqr legal ...`: the terms of service and privacy policy at the terminal, the same
use cases as /admin/legal (acting as the operator, "cli" in the audit log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voiceqr.application.compliance.documents import PublicDocument, VersionRow
from voiceqr.bootstrap import Platform
from voiceqr.bootstrap.legal import default_legal_texts
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.compliance.documents import (
    DocumentKind,
    LegalDocument,
    document_kind,
    effective_date,
)
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

app = typer.Typer(
    name="legal", no_args_is_help=True, help="Terms of service and privacy policy versions."
)

Kind = Annotated[str, typer.Argument(help="terms or privacy", show_default=False)]


def _kind(value: str) -> DocumentKind:
    try:
        return document_kind(value)
    except ValidationError as exc:
        raise fail(exc.message, 2) from None


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise fail(f"{file} is not UTF-8 text", 2) from None
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}", 2) from None


@app.command("publish")
def publish(
    kind: Kind,
    file: Annotated[Path, typer.Argument(help="The text, Markdown or plain (UTF-8).")],
    effective: Annotated[str, typer.Option(help="The day it takes effect, YYYY-MM-DD.")],
    material: Annotated[
        bool, typer.Option("--material", help="Every user accepts it at their next sign-in.")
    ] = False,
    summary: Annotated[str, typer.Option(help="What changed (shown to users).")] = "",
    reason: Annotated[
        str, typer.Option(help="Why, for the audit log (the summary when left out).")
    ] = "",
) -> None:
    """Publish the next version of the terms or the privacy policy."""
    which = _kind(kind)
    try:
        day = effective_date(effective)
    except ValidationError as exc:
        raise fail(exc.message, 2) from None
    text = _read(file)

    async def work(platform: Platform) -> LegalDocument:
        return await platform.compliance.documents.publish(
            OPERATOR,
            which,
            text=text,
            summary=summary,
            effective_on=day,
            material=material,
            reason=reason or summary or f"version of {file.name}",
        )

    document = run(work)
    typer.echo(
        f"published {document.kind} version {document.version}, in force from "
        f"{document.effective_on:%Y-%m-%d}{' (material)' if document.material else ''}, "
        f"sha256 {document.sha256}"
    )


@app.command("seed")
def seed() -> None:
    """Publish the default first version of each document that has none (not material;
    the embedded platform does this when it starts)."""
    added = run(lambda p: p.compliance.documents.seed(default_legal_texts()))
    echo_lines(added, lambda d: f"published {d.kind} version 1", none="nothing to add")


@app.command("list")
def list_versions() -> None:
    """Every version of each document, newest first, with how many users accepted it."""
    found: dict[DocumentKind, list[VersionRow]] = run(
        lambda p: p.compliance.documents.overview(OPERATOR)
    )
    echo_lines(
        [row for kind in DocumentKind for row in found[kind]], _line, none="nothing published"
    )


def _line(row: VersionRow) -> str:
    d = row.document
    state = "in force" if row.live else ("scheduled" if row.scheduled else "earlier")
    return (
        f"{d.kind:<7} v{d.version:<3} from {d.effective_on:%Y-%m-%d}  {state:<9} "
        f"{'material ' if d.material else ''}accepted by {row.acceptances}  "
        f"sha256 {d.sha256[:12]}…  {d.summary.splitlines()[0] if d.summary else ''}"
    )


@app.command("show")
def show(
    kind: Kind,
    version: Annotated[
        int | None, typer.Option(help="An earlier version (default: in force).")
    ] = None,
) -> None:
    """A version's text with its effective date, summary of changes and hash."""
    which = _kind(kind)
    shown: PublicDocument = run(lambda p: p.compliance.documents.public(which, version))
    d = shown.shown
    if d is None:
        raise fail(f"no {which.label.lower()} is published yet", 3)
    typer.echo(f"{d.title}, version {d.version}, in force from {d.effective_on:%Y-%m-%d}")
    typer.echo(f"sha256 {d.sha256}{'  (material)' if d.material else ''}")
    typer.echo(f"what changed: {d.summary}")
    if shown.scheduled is not None:
        typer.echo(
            f"next: version {shown.scheduled.version} from {shown.scheduled.effective_on:%Y-%m-%d}"
        )
    typer.echo("")
    typer.echo(d.text)


COMMANDS = (app,)
