"""`voiceqr voices ...`: the voice gallery, with the options of its API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

import typer

from voiceqr.application.voices.gallery import BatchAction, Removal, VoiceCard, VoiceSpec
from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.voices.choosing import VoiceQuery, VoiceSort
from voiceqr.domain.voices.voice import PRIORITY_MAX, PRIORITY_MIN, USE_CASES, Voice
from voiceqr.entrypoints.cli.kit import echo_lines, fail, run

app = typer.Typer(name="voices", no_args_is_help=True, help="The voice gallery.")
# `voiceqr voices sample ...` (adding and removing samples) is attached by voice_samples.py.

_USE_CASE_HELP = f"A use case (repeat for several): {', '.join(USE_CASES)}."
Description = Annotated[str | None, typer.Option(help="What the voice sounds like.")]
Gender = Annotated[str | None, typer.Option("--gender", help="The gender (the voice's type).")]
Language = Annotated[str | None, typer.Option(help="The language (English, en...).")]
Region = Annotated[str | None, typer.Option(help="The region (United Kingdom...).")]
Accent = Annotated[str | None, typer.Option(help="The accent (British, Scottish...).")]
Age = Annotated[str | None, typer.Option(help="The age (young, adult, old...).")]
Style = Annotated[str | None, typer.Option(help="The style (calm, formal...).")]
UseCases = Annotated[list[str] | None, typer.Option("--use-case", help=_USE_CASE_HELP)]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeat for several).")]
Categories = Annotated[
    list[str] | None, typer.Option("--category", help="A category (repeat for several).")
]
Priority = Annotated[
    int | None,
    typer.Option(min=PRIORITY_MIN, max=PRIORITY_MAX, help="Display priority, highest first."),
]


def _line(card: VoiceCard) -> str:
    v = card.voice
    traits = ", ".join(t for t in (v.type, v.language, v.accent, v.age, v.style) if t)
    return (
        f"{v.id}  {v.name:<12} {v.provider}:{v.provider_voice_id:<22} "
        + ("published" if v.published else "hidden   ")
        + f"  uses {card.popularity.uses}, listens {card.popularity.listens}"
        + (f"  [{traits}]" if traits else "")
    )


@app.command("list")
def list_voices(
    all_voices: Annotated[bool, typer.Option("--all", help="Include unpublished voices.")] = False,
    q: Annotated[str, typer.Option("--q", help="Words in the name or description.")] = "",
    gender: Annotated[str, typer.Option()] = "",
    language: Annotated[str, typer.Option()] = "",
    accent: Annotated[str, typer.Option()] = "",
    age: Annotated[str, typer.Option()] = "",
    style: Annotated[str, typer.Option()] = "",
    use_case: Annotated[str, typer.Option(help=_USE_CASE_HELP)] = "",
    tag: Annotated[str, typer.Option()] = "",
    category: Annotated[str, typer.Option()] = "",
    sort: Annotated[VoiceSort, typer.Option()] = VoiceSort.RECOMMENDED,
    content_type: Annotated[
        str, typer.Option("--for", help="Recommend voices for this use case.")
    ] = "",
) -> None:
    """List the voice gallery, searched, filtered and sorted as the API does."""

    async def work(platform: Platform) -> list[VoiceCard]:
        query = VoiceQuery(
            text=q,
            gender=gender,
            language=language,
            accent=accent,
            age=age,
            style=style,
            use_case=use_case,
            tag=tag,
            category=category,
            sort=sort,
            content_type=content_type,
        )
        cards = await platform.voices.browse(OPERATOR, query)
        return [c for c in cards if all_voices or c.voice.published]

    echo_lines(run(work), _line, none="no voices found; `voiceqr voices seed` adds the defaults")


@app.command("add")
def add(
    name: str,
    provider_voice_id: Annotated[str, typer.Option(help="The provider's id of the voice.")],
    provider: Annotated[str, typer.Option(help="The speech provider.")] = "espeak",
    description: Description = None,
    gender: Gender = None,
    language: Language = None,
    region: Region = None,
    accent: Accent = None,
    age: Age = None,
    style: Style = None,
    use_case: UseCases = None,
    tag: Tags = None,
    category: Categories = None,
    priority: Priority = None,
    published: Annotated[bool, typer.Option(help="Publish it (it needs a sample first).")] = False,
) -> None:
    """Add a voice (unpublished: it is published once it has a sample)."""
    spec = VoiceSpec(
        name=name,
        provider_voice_id=provider_voice_id,
        provider=provider,
        published=published,
        **_given(
            description=description,
            type=gender,
            language=language,
            region=region,
            accent=accent,
            age=age,
            style=style,
            use_cases=use_case,
            tags=tag,
            categories=category,
            priority=priority,
        ),
    )
    voice = run(lambda p: p.voices.create(OPERATOR, spec))
    typer.echo(f"added {voice.id}  {voice.name}")


@app.command("edit")
def edit(
    voice: Annotated[str, typer.Argument(help="Voice id or name.")],
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    provider_voice_id: Annotated[str | None, typer.Option()] = None,
    provider: Annotated[str | None, typer.Option()] = None,
    description: Description = None,
    gender: Gender = None,
    language: Language = None,
    region: Region = None,
    accent: Accent = None,
    age: Age = None,
    style: Style = None,
    use_case: UseCases = None,
    tag: Tags = None,
    category: Categories = None,
    priority: Priority = None,
) -> None:
    """Change the given fields of a voice (a list option replaces the whole list)."""
    changes = _given(
        name=name,
        provider_voice_id=provider_voice_id,
        provider=provider,
        description=description,
        type=gender,
        language=language,
        region=region,
        accent=accent,
        age=age,
        style=style,
        use_cases=use_case,
        tags=tag,
        categories=category,
        priority=priority,
    )
    if not changes:
        raise fail("Nothing to change: give at least one option.", 2)

    async def work(platform: Platform) -> Voice:
        voice_id = await find_voice(platform, voice, published_only=False)
        return await platform.voices.update(OPERATOR, voice_id, changes)

    changed = run(work)
    typer.echo(f"changed {changed.id}  {changed.name}: {', '.join(sorted(changes))}")


def _batch(action: BatchAction, voices: Sequence[str], done: str) -> None:
    async def work(platform: Platform) -> list[UUID]:
        ids = [await find_voice(platform, v, published_only=False) for v in voices]
        await platform.voices.batch(OPERATOR, action, ids)
        return ids

    for voice_id in run(work):
        typer.echo(f"{done} {voice_id}")


@app.command("publish")
def publish(voices: Annotated[list[str], typer.Argument(help="Voice ids or names.")]) -> None:
    """Publish voices, all or none: each needs a sample and an id its provider accepts."""
    _batch(BatchAction.PUBLISH, voices, "published")


@app.command("unpublish")
def unpublish(voices: Annotated[list[str], typer.Argument(help="Voice ids or names.")]) -> None:
    """Hide voices from the gallery (generations made with them keep working)."""
    _batch(BatchAction.UNPUBLISH, voices, "unpublished")


@app.command("delete")
def delete(
    voice: Annotated[str, typer.Argument(help="Voice id or name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a voice and its samples; one that generations use is unpublished instead."""

    async def usage(platform: Platform) -> tuple[UUID, int]:
        voice_id = await find_voice(platform, voice, published_only=False)
        return voice_id, await platform.voices.usage(OPERATOR, voice_id)

    voice_id, uses = run(usage)
    if not yes:
        what = (
            f"{uses} generations use it: it will be unpublished, not deleted. Go on?"
            if uses
            else "Delete it and its samples?"
        )
        typer.confirm(what, abort=True)
    outcome = run(lambda p: p.voices.delete(OPERATOR, voice_id))
    if outcome.outcome is Removal.UNPUBLISHED:
        typer.echo(f"unpublished {voice_id}: {outcome.generations} generations use it")
    else:
        typer.echo(f"deleted {voice_id}")


@app.command("seed")
def seed() -> None:
    """Add the default voices (with spoken samples) to an empty gallery."""
    added = run(lambda p: p.voices.seed(p.default_voices))
    typer.echo(
        f"added {added} voices" if added else "the gallery already has voices; nothing added"
    )


def _given(**options: Any) -> dict[str, Any]:
    """The options given on the command line (lists as tuples), by voice field."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items() if v is not None}


async def find_voice(platform: Platform, wanted: str, *, published_only: bool = True) -> UUID:
    """A voice by id, or by name in any case: a published voice people can pick, or
    (`published_only=False`, for staff commands) any voice. A name two providers share
    is refused with their ids, so the operator names one."""
    try:
        return UUID(wanted)
    except ValueError:
        pass
    voices = (
        await platform.voices.list_for(None)
        if published_only
        else await platform.voices.list_all(OPERATOR)
    )
    matches = [v for v in voices if v.name.lower() == wanted.strip().lower()]
    if len(matches) > 1:
        which = ", ".join(f"{v.id} ({v.provider})" for v in matches)
        raise ValidationError(
            f"Several voices are called '{wanted}': {which}. Give the id of one.",
            code="voice_name_ambiguous",
        )
    if not matches:
        names = ", ".join(v.name for v in voices) or "none"
        kind = "published voice" if published_only else "voice"
        raise ValidationError(
            f"No {kind} is called '{wanted}' (voices: {names}).", code="unknown_voice"
        )
    return matches[0].id


COMMANDS = (app,)
"""What `voiceqr` gains from this module (see `main.py`)."""
