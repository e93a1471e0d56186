"""Operators add, speak, list and delete a voice's samples at the terminal
(`voiceqr voices sample ...`, invoked here on its own Typer app)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration import audio_files
from voiceqr.entrypoints.cli import app as voiceqr
from voiceqr.entrypoints.cli.voice_samples import sample_app

runner = CliRunner()
SAMPLE_LINE = re.compile(r"^([0-9a-f-]{36})\s+(\d+\.\d) s\s+(.+)$")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def sample(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(sample_app, list(args), env=env)
    return result.exit_code, result.output


def media(env: dict[str, str]) -> list[str]:
    root = Path(env["VOICEQR_DATA_DIR"]) / "media" / "samples"
    return sorted(p.name for p in root.rglob("*.mp3"))


def test_an_operator_adds_speaks_lists_and_deletes_samples(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert runner.invoke(voiceqr, ["voices", "seed"], env=env).exit_code == 0
    seeded = media(env)
    listed = runner.invoke(voiceqr, ["voices", "list"], env=env).output.splitlines()
    voice_id, name = listed[0].split()[:2]
    wav, ogg = tmp_path / "warm_take.wav", tmp_path / "outdoors.ogg"
    wav.write_bytes(audio_files.wav(2.0))
    ogg.write_bytes(audio_files.ogg(1.5))

    code, out = sample(env, "add", str(wav), str(ogg), "--voice", name.upper())
    assert code == 0, out
    added = [SAMPLE_LINE.match(line) for line in out.splitlines()]
    assert [(m.group(2), m.group(3)) for m in added if m] == [
        ("2.0", "warm take"),
        ("1.5", "outdoors"),
    ]

    code, out = sample(
        env, "speak", "--voice", voice_id, "Welcome to the gallery.", "--label", "Hi"
    )
    assert code == 0, out
    assert out.strip().endswith("Hi")
    assert len(media(env)) == len(seeded) + 3

    code, out = sample(env, "list", "--voice", voice_id)
    assert [line.split()[-1] for line in out.splitlines()][-3:] == ["take", "outdoors", "Hi"]
    first_added = added[0]
    assert first_added is not None
    code, out = sample(env, "delete", "--voice", voice_id, first_added.group(1))
    assert code == 0, out
    assert f"{first_added.group(1)}.mp3" not in media(env)


def test_bad_files_are_refused_with_a_message_and_nothing_is_stored(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert runner.invoke(voiceqr, ["voices", "seed"], env=env).exit_code == 0
    voice_id = runner.invoke(voiceqr, ["voices", "list"], env=env).output.split()[0]
    before = media(env)
    good, text, long = tmp_path / "good.wav", tmp_path / "notes.mp3", tmp_path / "long.wav"
    good.write_bytes(audio_files.wav())
    text.write_bytes(audio_files.TEXT_AS_MP3)
    long.write_bytes(audio_files.ten_minutes_of_silence())

    for bad, says in ((text, "not an MP3, WAV or Ogg"), (long, "more than 60 seconds")):
        code, out = sample(env, "add", str(good), str(bad), "--voice", voice_id)
        assert code == 2, out
        assert says in out
        assert bad.name in out
    code, out = sample(env, "add", str(tmp_path / "missing.wav"), "--voice", voice_id)
    assert (code, "no such file" in out) == (2, True)
    code, out = sample(env, "add", str(good), "--voice", "Nobody")
    assert (code, "No voice is called 'Nobody'" in out) == (2, True)
    code, out = sample(env, "delete", "--voice", voice_id, "not-an-id")
    assert code == 2, out
    assert media(env) == before
