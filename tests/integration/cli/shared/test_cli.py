"""The operator CLI on the embedded platform: messages and exit codes people can act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from voiceqr.adapters.database.migrate import head
from voiceqr.entrypoints.cli import app

runner = CliRunner()
HEAD = head()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "VOICEQR_DATA_DIR": str(tmp_path / "data"),
        "VOICEQR_LOG_LEVEL": "WARNING",
        "VOICEQR_PUBLIC_BASE_URL": "http://127.0.0.1:9999",
    }


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_users_create_then_a_duplicate_is_a_conflict(env: dict[str, str]) -> None:
    code, out = invoke(
        env,
        "users",
        "create",
        "Ada@Example.com",
        "--name",
        "Ada",
        "--admin",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert code == 0, out
    assert "created admin ada@example.com" in out
    code, out = invoke(
        env,
        "users",
        "create",
        "ada@example.com",
        "--name",
        "Ada",
        "--password-stdin",
        stdin="another password\n",
    )
    assert code == 4
    assert "already has an account" in out
    code, out = invoke(env, "users", "list")
    assert code == 0
    assert out.count("ada@example.com") == 1


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long password", "not an email address"),
        ("b@example.com", "short", "at least 8"),
    ],
)
def test_users_create_refuses_bad_input(
    env: dict[str, str], email: str, password: str, message: str
) -> None:
    code, out = invoke(
        env, "users", "create", email, "--name", "B", "--password-stdin", stdin=password + "\n"
    )
    assert code == 2
    assert message in out


@pytest.mark.parametrize("role", ["user", "support", "moderator", "admin"])
def test_users_create_gives_the_account_the_role_asked_for(env: dict[str, str], role: str) -> None:
    email = f"{role}@example.com"
    code, out = invoke(
        env,
        "users",
        "create",
        email,
        "--name",
        "R",
        "--role",
        role,
        "--password-stdin",
        stdin="a long password\n",
    )
    assert code == 0, out
    assert f"created {role} {email}" in out
    code, out = invoke(env, "users", "list")
    assert code == 0
    assert f"  {role:<9}  {email}" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--role", "owner"], "'owner' is not one of"),
        (["--role", "admin", "--admin"], "--role or --admin, not both"),
        (["--role", "user", "--admin"], "--role or --admin, not both"),
    ],
)
def test_users_create_refuses_an_unknown_role_or_two_ways_to_say_it(
    env: dict[str, str], options: list[str], message: str
) -> None:
    code, out = invoke(
        env,
        "users",
        "create",
        "r@example.com",
        "--name",
        "R",
        *options,
        "--password-stdin",
        stdin="a long password\n",
    )
    assert code == 2, out
    assert message in out
    assert "Traceback" not in out
    assert "r@example.com" not in invoke(env, "users", "list")[1]


def test_a_wrong_setting_stops_the_cli_naming_the_variable(env: dict[str, str]) -> None:
    code, out = invoke({**env, "VOICEQR_QUEUE": "kafka"}, "voices", "list")
    assert code == 2
    assert "VOICEQR_QUEUE" in out


def test_voices_are_seeded_once_and_listed(env: dict[str, str]) -> None:
    code, out = invoke(env, "voices", "list")  # a new data dir is seeded on start
    assert code == 0
    assert len([line for line in out.splitlines() if "espeak:" in line]) >= 8
    code, out = invoke(env, "voices", "seed")
    assert code == 0
    assert "nothing added" in out


def test_db_commands_report_the_revision(env: dict[str, str]) -> None:
    assert invoke(env, "db", "upgrade")[1].strip().endswith(HEAD)
    assert invoke(env, "db", "current")[1].strip() == HEAD
    code, out = invoke(env, "db", "downgrade", "base")
    assert code == 0
    assert "None" in out
    assert "empty" in invoke(env, "db", "current")[1]
    assert invoke(env, "db", "upgrade")[1].strip().endswith(HEAD)


def test_generate_writes_the_mp3_and_a_qr_code_that_opens_the_playback_page(
    env: dict[str, str], tmp_path: Path
) -> None:
    import zxingcpp

    invoke(
        env,
        "users",
        "create",
        "c@example.com",
        "--name",
        "C",
        "--password-stdin",
        stdin="a long password\n",
    )
    audio, qr = tmp_path / "out.mp3", tmp_path / "out.png"
    code, out = invoke(
        env,
        "generate",
        "Welcome to the museum.",
        "--voice",
        "ava",
        "--owner",
        "c@example.com",
        "--audio-out",
        str(audio),
        "--qr-out",
        str(qr),
        "--qr-size",
        "400",
        "--title",
        "Museum welcome",
    )
    assert code == 0, out
    assert "title: Museum welcome" in out
    assert audio.read_bytes()[:3] == b"ID3" or audio.read_bytes()[0] == 0xFF
    image = Image.open(qr)
    assert image.size == (400, 400)
    (decoded,) = zxingcpp.read_barcodes(image)
    assert decoded.text.startswith("http://127.0.0.1:9999/p/")
    assert decoded.text.endswith("?s=q")  # a scan of the printed code, told from a link
    assert decoded.text.removesuffix("?s=q") in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--voice", "nobody", "--owner", "c@example.com"], 2, "No published voice"),
        (["--voice", "Ava", "--owner", "ghost@example.com"], 3, "No account"),
        (
            ["--voice", "Ava", "--owner", "c@example.com", "--title", "t" * 101],
            2,
            "A title has at most 100 characters",
        ),
        (
            ["--voice", "Ava", "--owner", "c@example.com", "--title", "k i l l   y o u r s e l f"],
            2,
            "This title cannot be used",
        ),
    ],
)
def test_generate_explains_what_is_wrong(
    env: dict[str, str], tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    invoke(
        env,
        "users",
        "create",
        "c@example.com",
        "--name",
        "C",
        "--password-stdin",
        stdin="a long password\n",
    )
    got, out = invoke(
        env,
        "generate",
        "Hello",
        *args,
        "--audio-out",
        str(tmp_path / "a.mp3"),
        "--qr-out",
        str(tmp_path / "a.png"),
    )
    assert got == code, out
    assert message in out
    assert not (tmp_path / "a.mp3").exists()


def test_generate_refuses_a_blank_text_and_a_bad_qr_format(
    env: dict[str, str], tmp_path: Path
) -> None:
    invoke(
        env,
        "users",
        "create",
        "c@example.com",
        "--name",
        "C",
        "--password-stdin",
        stdin="a long password\n",
    )
    code, out = invoke(
        env,
        "generate",
        "   ",
        "--voice",
        "Ava",
        "--owner",
        "c@example.com",
        "--audio-out",
        str(tmp_path / "a.mp3"),
        "--qr-out",
        str(tmp_path / "a.png"),
    )
    assert code == 2
    assert "Type some text" in out
    code, out = invoke(
        env,
        "generate",
        "Hi",
        "--voice",
        "Ava",
        "--owner",
        "c@example.com",
        "--audio-out",
        str(tmp_path / "a.mp3"),
        "--qr-out",
        str(tmp_path / "a.gif"),
    )
    assert code == 2
    assert ".png or .svg" in out


def test_worker_refuses_the_in_process_queue(env: dict[str, str]) -> None:
    code, out = invoke(env, "worker")
    assert code == 2
    assert "VOICEQR_QUEUE=redis" in out
