"""The operator's `voiceqr users export EMAIL [--wait]` (the owner is mailed the link)
and `voiceqr users delete EMAIL --reason TEXT [--now]` (here and now or through a
worker; the printed code is retired and its MP3 is gone)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceqr.entrypoints.cli import app

runner = CliRunner()
PASSWORD = "a long password"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environ = {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}
    for email in ("ops@example.com", "gone@example.com"):
        result = runner.invoke(
            app,
            ["users", "create", email, "--name", "Someone", "--password-stdin"],
            env=environ,
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
    return environ


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_deleting_an_account_now_removes_it_and_its_audio(
    env: dict[str, str], tmp_path: Path
) -> None:
    code, out = invoke(
        env,
        "generate",
        "Hello from the gallery",
        "--voice",
        "Sam",
        "--owner",
        "gone@example.com",
        "--audio-out",
        str(tmp_path / "a.mp3"),
        "--qr-out",
        str(tmp_path / "a.svg"),
    )
    assert code == 0, out
    media = Path(env["VOICEQR_DATA_DIR"]) / "media" / "audio"
    assert list(media.rglob("*.mp3"))

    code, out = invoke(
        env, "users", "delete", "gone@example.com", "--reason", "asked by mail", "--now"
    )
    assert code == 0, out
    assert "deleted gone@example.com" in out
    assert not list(media.rglob("*.mp3"))
    assert "gone@example.com" not in invoke(env, "users", "list")[1]
    assert "ops@example.com" in invoke(env, "users", "list")[1]


def test_without_now_a_worker_deletes_it(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "delete", "gone@example.com", "--reason", "spam")
    assert code == 0, out
    assert "a worker removes everything" in out
    assert "gone@example.com" in invoke(env, "users", "list")[1]  # until a worker runs


def test_a_reason_is_required_and_an_unknown_account_is_a_clear_error(
    env: dict[str, str],
) -> None:
    code, out = invoke(env, "users", "delete", "gone@example.com")
    assert code == 2
    assert "--reason" in out
    code, out = invoke(env, "users", "delete", "gone@example.com", "--reason", " ")
    assert code != 0
    assert "Say why" in out
    code, out = invoke(env, "users", "delete", "ghost@example.com", "--reason", "spam")
    assert code == 3
    assert "No account has this email address" in out


def test_export_wait_builds_the_archive_and_mails_the_owner(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "export", "gone@example.com", "--wait")
    assert code == 0, out
    assert "is ready" in out
    archives = list((Path(env["VOICEQR_DATA_DIR"]) / "media" / "exports").rglob("*.zip"))
    assert len(archives) == 1
    outbox = Path(env["VOICEQR_DATA_DIR"]) / "outbox"
    code, out = invoke(env, "mail", "--deliver")
    assert code == 0, out
    assert any("Download my data" in p.read_text() for p in outbox.rglob("*.eml"))

    code, out = invoke(env, "users", "export", "gone@example.com")
    assert code == 0, out
    assert "a worker makes it" in out
    code, out = invoke(env, "users", "export", "ghost@example.com")
    assert code == 3
    assert "No account has the email ghost@example.com" in out
