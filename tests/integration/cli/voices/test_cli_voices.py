"""Operators curate the voice gallery from the CLI as staff do through the API: list,
add, edit, publish, unpublish and delete, with messages and exit codes to act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.elevenlabs_server import (
    API_KEY,
    FakeElevenLabs,
    elevenlabs_server,  # noqa: F401
)
from voiceqr.bootstrap.voices import ELEVENLABS_DEFAULT_VOICES
from voiceqr.entrypoints.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, elevenlabs_server: FakeElevenLabs) -> dict[str, str]:  # noqa: F811
    # The account holds the premade voices the default gallery seeds.
    elevenlabs_server.voices |= {v.provider_voice_id for v in ELEVENLABS_DEFAULT_VOICES}
    return {
        "VOICEQR_DATA_DIR": str(tmp_path / "data"),
        "VOICEQR_LOG_LEVEL": "WARNING",
        "VOICEQR_SPEECH_PROVIDERS": "espeak,elevenlabs",
        "VOICEQR_SPEECH_ELEVENLABS_API_KEY": API_KEY,
        "VOICEQR_SPEECH_ELEVENLABS_BASE_URL": elevenlabs_server.url,
    }


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def lines(out: str, *words: str) -> list[str]:
    return [line for line in out.splitlines() if all(w in line for w in words)]


def test_the_default_gallery_has_accents_for_each_provider(env: dict[str, str]) -> None:
    code, out = invoke(env, "voices", "list")  # a new data dir is seeded on start

    assert code == 0, out
    assert len(lines(out, "espeak:", "published")) >= 8
    assert len(lines(out, "elevenlabs:", "published")) >= 8
    for accent in ("Scottish", "Caribbean", "British (RP)", "Australian", "Irish"):
        assert lines(out, accent), accent
    code, out = invoke(env, "voices", "list", "--accent", "irish")
    assert [line.split()[1] for line in out.splitlines()] == ["Fin"]
    code, out = invoke(env, "voices", "list", "--for", "children", "--language", "en")
    assert "children" not in out  # the listing shows traits, not use cases
    assert code == 0


def test_operators_add_edit_publish_and_delete_voices(env: dict[str, str]) -> None:
    code, out = invoke(
        env,
        "voices",
        "add",
        "Morag",
        "--provider-voice-id",
        "en-gb-scotland+f2",
        "--accent",
        "Scottish",
        "--gender",
        "female",
        "--use-case",
        "museum-guide",
        "--tag",
        "Warm",
    )
    assert code == 0, out
    assert "added" in out
    assert "Morag" in out
    assert lines(invoke(env, "voices", "list", "--all", "--tag", "warm")[1], "Morag", "hidden")
    assert not lines(invoke(env, "voices", "list", "--tag", "warm")[1], "Morag")

    code, out = invoke(env, "voices", "publish", "morag")
    assert code == 2  # no sample yet
    assert "Morag: it has no sample" in out
    code, out = invoke(env, "voices", "edit", "Morag", "--style", "gentle", "--priority", "7")
    assert code == 0, out
    assert "priority, style" in out
    assert lines(invoke(env, "voices", "list", "--all", "--style", "gentle")[1], "Morag")

    for args, exit_code, message in (
        (["add", "SAM", "--provider-voice-id", "en-us"], 4, "already has a voice"),
        (["add", "X", "--provider-voice-id", "en", "--use-case", "karaoke"], 2, "karaoke"),
        (["add", "X", "--provider-voice-id", "en", "--language", "x" * 51], 2, "at most 50"),
        (["add", "X", "--provider-voice-id", "en", "--priority", "-1000001"], 2, "priority"),
        (["edit", "Morag"], 2, "Nothing to change"),
        (["edit", "Nobody", "--tag", "x"], 2, "No voice is called 'Nobody'"),
        (["delete", "01a213cf-0000-7000-8000-000000000000", "--yes"], 3, "No such voice"),
    ):
        code, out = invoke(env, "voices", *args)
        assert code == exit_code, (args, out)
        assert message in out, (args, out)

    code, out = invoke(env, "voices", "delete", "Morag", stdin="n\n")
    assert code == 1  # the confirmation was declined
    assert "Delete it and its samples?" in out
    code, out = invoke(env, "voices", "delete", "Morag", "--yes")
    assert code == 0, out
    assert "deleted" in out
    assert not lines(invoke(env, "voices", "list", "--all")[1], "Morag")


def test_a_name_two_providers_share_is_asked_for_by_id(env: dict[str, str]) -> None:
    code, out = invoke(
        env, "voices", "add", "Sam", "--provider", "elevenlabs", "--provider-voice-id", "abc"
    )
    assert code == 0, out

    code, out = invoke(env, "voices", "edit", "sam", "--tag", "x")
    assert code == 2
    assert "Several voices are called 'sam'" in out
    assert "(espeak)" in out
    assert "(elevenlabs)" in out

    code, out = invoke(env, "voices", "unpublish", "Ava")
    assert code == 0, out
    assert not lines(invoke(env, "voices", "list")[1], " Ava ")
    code, out = invoke(env, "voices", "publish", "Ava")  # it has its seeded sample
    assert code == 0, out
    assert lines(invoke(env, "voices", "list")[1], " Ava ", "published")
