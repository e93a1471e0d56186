"""`voiceqr generate` and `voiceqr generations ...`: making audio, and recovering
generations that failed."""

from __future__ import annotations

import asyncio
import math
import os
import time
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.generations.failures import RetryReport
from voiceqr.application.generations.revisions import Edit
from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.errors import ErrorCategory, NotFound
from voiceqr.entrypoints.cli.kit import echo_lines, exit_code, fail, run, settings
from voiceqr.entrypoints.cli.voices import find_voice

commands = typer.Typer()
app = typer.Typer(
    name="generations", no_args_is_help=True, help="Failed generations: inspect and recover."
)


@commands.command()
def generate(
    text: str,
    voice: Annotated[str, typer.Option(help="Voice id or name.")],
    owner: Annotated[str, typer.Option(help="Email of the owning account.")],
    audio_out: Annotated[Path, typer.Option(help="Where to write the MP3.")],
    qr_out: Annotated[Path, typer.Option(help="Where to write the QR code (.png or .svg).")],
    qr_size: Annotated[int, typer.Option(min=64, max=4096)] = 512,
    title: Annotated[
        str, typer.Option(help="A title (default: the first words of the text).")
    ] = "",
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

    async def work(platform: Platform) -> tuple[str, str, str]:
        user = await platform.accounts.accounts.get_by_email(owner)
        if user is None:
            raise NotFound(f"No account has the email {owner}.")
        voice_id = await find_voice(platform, voice)
        generation = await platform.generations.generations.request(
            user, text=text, voice_id=voice_id, title=title
        )
        deadline = time.monotonic() + timeout
        while not generation.is_finished:
            if time.monotonic() > deadline:
                raise fail(
                    f"timed out after {timeout:.0f}s; generation {generation.id} is "
                    f"{generation.status} (is a worker running?)",
                    1,
                )
            await asyncio.sleep(0.3)
            generation = await platform.generations.generations.get_for_owner(user, generation.id)
        if generation.status is GenerationStatus.FAILED or generation.audio_key is None:
            raise fail(
                f"generation failed ({generation.error_category}/{generation.error_code}): "
                f"{generation.error_message}",
                1,
            )
        audio = await platform.generations.audio(generation)
        url = platform.generations.playback_url(generation.public_code)
        png = qr_out.suffix.lower() == ".png"
        qr = platform.generations.qr_image(generation, "png" if png else "svg", size=qr_size)
        audio_out.write_bytes(audio)
        qr_out.write_bytes(qr)
        return str(generation.id), url, generation.shown_title

    generation_id, url, shown = run(work, worker=settings().queue.backend == "memory")
    typer.echo(f"generation {generation_id} completed")
    typer.echo(f"title: {shown}")
    typer.echo(f"audio: {audio_out}")
    typer.echo(f"qr:    {qr_out} -> {url}")


@app.command("failed")
def failed(
    category: Annotated[
        ErrorCategory | None, typer.Option(help="Only this failure category.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """List failed generations of every user, latest failure first."""
    echo_lines(
        run(lambda p: p.generations.failures.list(OPERATOR, category=category, limit=limit)),
        lambda g: (
            f"{g.id}  {f'{g.updated_at:%Y-%m-%d %H:%M}' if g.updated_at else '-'}  "
            f"{g.error_category}/{g.error_code}  tries={g.attempts}  {g.error_message}"
        ),
        none="no failed generations",
    )


@app.command("retry")
def retry(ids: Annotated[list[UUID], typer.Argument(help="Generation ids.")]) -> None:
    """Requeue failed generations with a new attempt budget."""

    async def work(platform: Platform) -> RetryReport:
        return await platform.generations.failures.retry_many(OPERATOR, ids)

    report = run(work)
    for generation_id in report.retried:
        typer.echo(f"retrying {generation_id}")
    for generation_id, exc in report.skipped.items():
        typer.secho(f"skipped {generation_id}: {exc.message}", err=True, fg=typer.colors.YELLOW)
    if report.skipped:  # exit like the first refusal (3: not found, 4: not failed)
        raise typer.Exit(exit_code(next(iter(report.skipped.values()))))


@app.command("cancel")
def cancel(generation_id: UUID) -> None:
    """Stop a pending or processing generation for good; its owner is told by mail."""
    generation = run(lambda p: p.generations.failures.cancel(OPERATOR, generation_id))
    typer.echo(f"cancelled {generation.id} ({generation.error_code})")


@app.command("edit")
def edit(
    generation_id: UUID,
    text: Annotated[str | None, typer.Option(help="The corrected text to speak.")] = None,
    voice: Annotated[str | None, typer.Option(help="Another voice: id or name.")] = None,
) -> None:
    """Correct the text and/or voice of a failed generation and requeue it as a new revision."""
    if text is None and voice is None:
        raise fail("give --text, --voice or both", 2)

    async def work(platform: Platform) -> Generation:
        voice_id = None if voice is None else await find_voice(platform, voice)
        return await platform.generations.revisions.edit_failed(
            OPERATOR, generation_id, Edit(text=text, voice_id=voice_id)
        )

    generation = run(work)
    typer.echo(f"requeued {generation.id} as revision {generation.revision}")


def _check_writable(option: str, path: Path) -> None:
    """Refuse an output path that cannot be written before any work is done."""
    folder = path.parent
    if path.is_dir():
        raise fail(f"{option} {path} is a folder; give a file name", 2)
    if not folder.is_dir():
        raise fail(f"{option}: there is no folder {folder}", 2)
    if not os.access(folder, os.W_OK):
        raise fail(f"{option}: the folder {folder} cannot be written to", 2)


COMMANDS = (commands, app)
"""What `voiceqr` gains from this module (see `main.py`)."""
