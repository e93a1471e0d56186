"""Operator commands for people: search, show, edit, reset-password,
force-password-change and `sessions end-all`, each staff action audited with its reason."""

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
    for email, name in (("ann.lee@example.com", "Ann Lee"), ("bob@example.com", "Bob")):
        result = runner.invoke(
            app,
            ["users", "create", email, "--name", name, "--password-stdin"],
            env=environ,
            input=PASSWORD + "\n",
        )
        assert result.exit_code == 0, result.output
    return environ


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_search_finds_the_start_of_a_name_in_any_case(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "search", "ANN")
    assert code == 0, out
    assert "ann.lee@example.com" in out
    assert "bob@example.com" not in out
    assert "no account matches" in invoke(env, "users", "search", "zzz")[1]


def test_edit_then_show_lists_the_change_with_its_reason(env: dict[str, str]) -> None:
    code, out = invoke(
        env, "users", "edit", "bob@example.com", "--name", "Robert", "--reason", "asked by mail"
    )
    assert code == 0, out
    assert "Robert" in out
    code, out = invoke(env, "users", "show", "bob@example.com")
    assert code == 0, out
    assert "user.edit  by cli  asked by mail" in out
    assert invoke(env, "users", "edit", "bob@example.com", "--reason", "x")[0] == 2
    code, out = invoke(env, "users", "edit", "bob@example.com", "--name", "Bob", "--reason", " ")
    assert code != 0
    assert "reason" in out


def test_password_commands_and_ending_sessions(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "reset-password", "bob@example.com", "--reason", "forgot it")
    assert code == 0, out
    assert "mailed a reset link to bob@example.com" in out
    code, out = invoke(
        env, "users", "force-password-change", "bob@example.com", "--reason", "leaked"
    )
    assert code == 0, out
    assert "reset the password of 1 account" in out
    code, out = invoke(
        env, "sessions", "end-all", "--user", "ann.lee@example.com", "--reason", "lost phone"
    )
    assert code == 0, out
    assert "ended 0 sessions of ann.lee@example.com" in out
    code, out = invoke(env, "sessions", "end-all", "--reason", "incident 7")
    assert code == 0, out
    assert "signed out every session of 2 accounts" in out
    assert invoke(env, "users", "show", "nobody@example.com")[0] != 0


def test_the_timeline_lists_staff_actions_and_mail_newest_first(env: dict[str, str]) -> None:
    invoke(env, "users", "reset-password", "bob@example.com", "--reason", "forgot it")
    code, out = invoke(env, "users", "timeline", "bob@example.com")
    assert code == 0, out
    lines = out.splitlines()
    assert "user.password_reset_link by cli  (forgot it)" in lines[0]
    assert "mail" in lines[1]
    code, out = invoke(env, "users", "timeline", "bob@example.com", "--kind", "sign_in")
    assert code == 0, out
    assert "nothing has happened" in out
    code, out = invoke(env, "users", "timeline", "bob@example.com", "--kind", "tickets")
    assert code != 0
    assert "Unknown kind tickets" in out
