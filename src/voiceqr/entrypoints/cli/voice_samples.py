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
from voiceqr.domain.shared.errors import NotFound
from voiceqr.domain.voices.samples import MAX_SAMPLE_BYTES
from voiceqr.domain.voices.voice import VoiceSample
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

sample_app = typer.Typer(
    name="sample", no_args_is_help=True, help="A voice's audio samples: add, speak, delete."
)

VoiceOption = Annotated[
    str, typer.Option("--voice", "-v", help="The voice: its id, or its name (any case).")
]


async def _voice_id(platform: Platform, wanted: str) -> UUID:
    """A voice by id, or any voice (published or not) by name."""
    try:
        return UUID(wanted)
    except ValueError:
        pass
    voices = await platform.voices.list_all(OPERATOR)
    matches = [v.id for v in voices if v.name.lower() == wanted.strip().lower()]
    if len(matches) != 1:
        names = ", ".join(v.name for v in voices) or "none"
        raise NotFound(
            f"No single voice is called '{wanted}' (voices: {names}); use its id.",
            code="voice_not_found",
        )
    return matches[0]


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
            OPERATOR, await _voice_id(platform, voice), uploads
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
            OPERATOR, await _voice_id(platform, voice), text, label=label
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
        await platform.voice_samples.delete(OPERATOR, await _voice_id(platform, voice), sample_id)

    run(work)
    typer.echo(f"deleted sample {sample_id}")


@sample_app.command("list")
def list_samples(voice: VoiceOption) -> None:
    """A voice's samples in display order."""

    async def work(platform: Platform) -> list[VoiceSample]:
        found = await platform.voices.get(await _voice_id(platform, voice), user=OPERATOR)
        return found.samples

    echo_lines(run(work), _line, none="this voice has no sample yet")


# No COMMANDS here on purpose: the voices commands attach it as `voiceqr voices sample`.
__all__ = ["sample_app"]
