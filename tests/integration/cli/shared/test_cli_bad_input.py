"""The operator CLI refuses bad input with one `error: ...` line on stderr and exit code
2, before doing any work: out-of-range numbers, bad ids, unknown choices, paths it
cannot write, texts with control characters or nothing to say, unknown revisions. Where
the database matters, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceqr.entrypoints.cli import app
from voiceqr.entrypoints.cli.accounts import MAX_LOCK_MINUTES

runner = CliRunner()
PASSWORD = "a long password"
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "VOICEQR_DATA_DIR": str(tmp_path / "data"),
        "VOICEQR_LOG_LEVEL": "WARNING",
        "VOICEQR_PUBLIC_BASE_URL": "http://127.0.0.1:9999",
    }


@pytest.fixture
def on_engine(env: dict[str, str], database_url: str) -> dict[str, str]:
    """An operator with an account and the voice gallery, on SQLite or PostgreSQL."""
    environ = {**env, "VOICEQR_DATABASE_URL": database_url}
    ok(environ, "users", "create", "ops@example.com", "--name", "Ops", "--password-stdin")
    ok(environ, "voices", "seed")
    return environ


def invoke(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env, input=PASSWORD + "\n")
    return result.exit_code, result.stdout, result.stderr


def ok(env: dict[str, str], *args: str) -> str:
    code, out, err = invoke(env, *args)
    assert code == 0, (args, out, err)
    return out


def refused(env: dict[str, str], *args: str) -> str:
    """Exit code 2 and exactly one `error:` line on stderr; returns that line."""
    code, out, err = invoke(env, *args)
    assert code == 2, (args, code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Usage:" not in out + err
    return lines[0]


def generate(
    out: Path, *extra: str, text: str = "Hello", owner: str = "ops@example.com"
) -> list[str]:
    return [
        "generate",
        text,
        "--voice",
        "Ava",
        "--owner",
        owner,
        "--audio-out",
        str(out / "a.mp3"),
        "--qr-out",
        str(out / "a.png"),
        *extra,
    ]


def test_locking_an_account_for_a_huge_number_of_minutes_is_refused_naming_the_maximum(
    env: dict[str, str],
) -> None:
    line = refused(
        env, "users", "lock", "ops@example.com", "--minutes", str(10**12), "--reason", "x"
    )
    assert "--minutes" in line
    assert str(MAX_LOCK_MINUTES) in line
    assert MAX_LOCK_MINUTES == 365 * 24 * 60


@pytest.mark.parametrize(
    "args",
    [
        ["users", "lock", "ops@example.com", "--minutes", "0", "--reason", "x"],
        ["users", "lock", "ops@example.com", "--minutes", "-5", "--reason", "x"],
        ["users", "lock", "ops@example.com", "--minutes", "ten", "--reason", "x"],
        ["users", "lock"],
        ["users", "disable", "ops@example.com"],
        ["generations", "retry", "not-a-uuid"],
        ["generations", "retry"],
        ["generations", "cancel", "not-a-uuid"],
        ["generations", "edit", "not-a-uuid", "--text", "Hi"],
        ["generations", "failed", "--category", "nope"],
        ["generations", "failed", "--limit", "0"],
        ["generations", "failed", "--limit", "-1"],
        ["audit", "--limit", "0"],
        ["audit", "--limit", "100000"],
        ["failures", "--window", "1y"],
        ["mail", "--bogus"],
        ["worker", "--concurrency", "0"],
        ["serve", "--port", "0"],
        ["serve", "--port", "70000"],
        ["generate", "Hi", "--voice", "Ava"],
        ["no-such-command"],
        ["--bogus"],
    ],
)
def test_a_command_line_that_cannot_be_used_is_one_error_line_and_exit_2(
    env: dict[str, str], args: list[str]
) -> None:
    line = refused(env, *args)
    assert "--help" in line  # where to look next


def test_a_group_without_a_command_still_shows_what_it_can_do(env: dict[str, str]) -> None:
    _, out, err = invoke(env, "users")
    assert "lock" in out
    assert "error:" not in err


@pytest.mark.parametrize("timeout", ["-1", "0", "nan", "inf"])
def test_generate_refuses_a_timeout_that_is_not_a_number_of_seconds_above_zero(
    env: dict[str, str], tmp_path: Path, timeout: str
) -> None:
    # Refused before anything is looked up: the owner does not even exist.
    line = refused(env, *generate(tmp_path, "--timeout", timeout, owner="nobody@example.com"))
    assert "--timeout" in line


def test_generate_refuses_output_paths_it_cannot_write_before_making_anything(
    env: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    args = generate(missing, owner="nobody@example.com")
    assert "there is no folder" in refused(env, *args)
    into_a_folder = [*generate(tmp_path, owner="nobody@example.com")]
    into_a_folder[into_a_folder.index("--audio-out") + 1] = str(tmp_path)
    assert "is a folder" in refused(env, *into_a_folder)
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\x00b", "control character U+0000"),
        ("\u200b", "Type some text"),
        ("\ufeff \u2060", "Type some text"),
    ],
)
def test_generate_refuses_text_with_control_characters_or_nothing_to_say(
    on_engine: dict[str, str], tmp_path: Path, text: str, message: str
) -> None:
    assert message in refused(on_engine, *generate(tmp_path, text=text))
    assert not (tmp_path / "a.mp3").exists()


def test_account_commands_refuse_control_characters_on_both_engines(
    on_engine: dict[str, str],
) -> None:
    assert "control character" in refused(
        on_engine, "users", "create", "new\x00@example.com", "--name", "N", "--password-stdin"
    )
    assert "control character" in refused(
        on_engine, "users", "create", "new@example.com", "--name", "N\x00", "--password-stdin"
    )
    assert "control character" in refused(
        on_engine, "users", "disable", "ops\x00@example.com", "--reason", "x"
    )
    assert "control character" in refused(on_engine, "audit", "--actor", "ops\x00@example.com")
    assert "ops@example.com" in ok(on_engine, "users", "list")


def test_db_commands_refuse_an_unknown_revision(env: dict[str, str]) -> None:
    ok(env, "db", "upgrade")
    assert "nope" in refused(env, "db", "upgrade", "nope")
    assert "nope" in refused(env, "db", "downgrade", "nope")
    assert "0042" in refused(env, "db", "downgrade", "0042")


def test_db_upgrade_goes_to_the_revision_asked_for(env: dict[str, str]) -> None:
    assert "revision 0001" in ok(env, "db", "upgrade", "0001")
    assert "revision 0002" in ok(env, "db", "upgrade", "0002")
    assert "revision 0001" in ok(env, "db", "downgrade", "-1")
