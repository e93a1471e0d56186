"""`voiceqr voices sample ...`: a voice's samples, from the terminal (as the operator).

The same use cases as the JSON API and the staff page: files are checked (a real MP3,
WAV or Ogg of 1 to 60 seconds) and converted before anything is stored, all or nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from voiceqr.application.voices.samples import SPOKEN_LABEL, UploadedFile
from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.voices.samples import MAX_SAMPLE_BYTES
from voiceqr.domain.voices.voice import VoiceSample
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run
from voiceqr.entrypoints.cli.voices import app as voices_app
from voiceqr.entrypoints.cli.voices import find_voice

sample_app = typer.Typer(
    name="sample", no_args_is_help=True, help="A voice's audio samples: add, speak, delete."
)

VoiceOption = Annotated[
    str, typer.Option("--voice", "-v", help="The voice: its id, or its name (any case).")
]


async def _any_voice(platform: Platform, wanted: str) -> UUID:
    """A voice by id or name, published or not (samples are added before publishing)."""
    return await find_voice(platform, wanted, published_only=False)


def _line(sample: VoiceSample) -> str:
    return f"{sample.id}  {sample.duration_ms / 1000:5.1f} s  {sample.label}"


def _read(paths: list[Path]) -> list[UploadedFile]:
    files = []
    for path in paths:
        if not path.is_file():
            raise fail(f"{path}: no such file", 2)
        if path.stat().st_size > MAX_SAMPLE_BYTES:  # refused before it is read
            raise fail(f"{path}: larger than {MAX_SAMPLE_BYTES // (1024 * 1024)} MB", 2)
        files.append(UploadedFile(path.name, path.read_bytes()))
    return files


@sample_app.command("add")
def add(
    files: Annotated[list[Path], typer.Argument(help="MP3, WAV or Ogg files, 1 to 60 s each.")],
    voice: VoiceOption,
) -> None:
    """Add audio files as samples of a voice (all of them, or none when one is refused)."""
    uploads = _read(files)

    async def work(platform: Platform) -> list[VoiceSample]:
        return await platform.voice_samples.add_uploaded(
            OPERATOR, await _any_voice(platform, voice), uploads
        )

    echo_lines(run(work), _line, none="no sample added")


@sample_app.command("speak")
def speak(
    text: Annotated[str, typer.Argument(help="What the voice says (at most 300 characters).")],
    voice: VoiceOption,
    label: Annotated[str, typer.Option(help="The sample's label.")] = SPOKEN_LABEL,
) -> None:
    """Have the voice speak a sample of itself."""

    async def work(platform: Platform) -> VoiceSample:
        return await platform.voice_samples.speak(
            OPERATOR, await _any_voice(platform, voice), text, label=label
        )

    typer.echo(_line(run(work)))


@sample_app.command("delete")
def delete(
    sample: Annotated[str, typer.Argument(help="The sample's id (see `sample list`).")],
    voice: VoiceOption,
) -> None:
    """Delete a sample and its audio."""
    try:
        sample_id = UUID(sample)
    except ValueError:
        raise fail(f"'{sample}' is not a sample id", 2) from None

    async def work(platform: Platform) -> None:
        await platform.voice_samples.delete(OPERATOR, await _any_voice(platform, voice), sample_id)

    run(work)
    typer.echo(f"deleted sample {sample_id}")


@sample_app.command("list")
def list_samples(voice: VoiceOption) -> None:
    """A voice's samples in display order."""

    async def work(platform: Platform) -> list[VoiceSample]:
        found = await platform.voices.get(await _any_voice(platform, voice), user=OPERATOR)
        return found.samples

    echo_lines(run(work), _line, none="this voice has no sample yet")


# `voiceqr voices sample ...`: attached to the voices commands here (this module is
# imported before voices.py brings its COMMANDS), so it brings no COMMANDS of its own.
voices_app.add_typer(sample_app)
