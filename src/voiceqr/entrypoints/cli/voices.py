"""`voiceqr voices ...`: the voice gallery."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.entrypoints.cli.kit import echo_lines, run

app = typer.Typer(name="voices", no_args_is_help=True, help="The voice gallery.")


@app.command("list")
def list_voices(
    all_voices: Annotated[bool, typer.Option("--all", help="Include unpublished voices.")] = False,
) -> None:
    """List the voice gallery."""
    echo_lines(
        run(lambda p: p.voices.list_all(OPERATOR, published_only=not all_voices)),
        lambda v: (
            f"{v.id}  {v.name:<12} {v.provider}:{v.provider_voice_id:<22} "
            + ("published" if v.published else "hidden")
        ),
        none="no voices yet; run `voiceqr voices seed`",
    )


@app.command("seed")
def seed() -> None:
    """Add the default voices (with spoken samples) to an empty gallery."""
    added = run(lambda p: p.voices.seed(p.default_voices))
    typer.echo(
        f"added {added} voices" if added else "the gallery already has voices; nothing added"
    )


async def find_voice(platform: Platform, wanted: str) -> UUID:
    """A voice by id, or a published voice by name (any case)."""
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


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
