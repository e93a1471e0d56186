"""Operator commands for accounts: disable, enable, lock, unlock, verify, and the mail outbox."""

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
    result = runner.invoke(
        app,
        ["users", "create", "ops@example.com", "--name", "Ops", "--password-stdin"],
        env=environ,
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    return environ


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_disable_and_enable_an_account(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "disable", "OPS@example.com")
    assert code == 0, out
    assert "disabled ops@example.com" in out
    assert "[disabled]" in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "enable", "ops@example.com")
    assert code == 0
    assert "[active]" in invoke(env, "users", "list")[1]


def test_lock_and_unlock_an_account(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "lock", "ops@example.com", "--minutes", "30")
    assert code == 0, out
    assert "locked ops@example.com until" in out
    assert "locked until" in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "unlock", "ops@example.com")
    assert code == 0
    assert "locked until" not in invoke(env, "users", "list")[1]


@pytest.mark.parametrize("command", ["disable", "enable", "lock", "unlock", "verify"])
def test_an_unknown_account_is_a_clear_error(env: dict[str, str], command: str) -> None:
    code, out = invoke(env, "users", command, "ghost@example.com")
    assert code == 3
    assert "No account has the email ghost@example.com" in out


def test_created_accounts_are_verified_and_mail_starts_empty(env: dict[str, str]) -> None:
    assert "unverified" not in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "verify", "ops@example.com")
    assert code == 0
    assert "verified ops@example.com" in out
    code, out = invoke(env, "mail", "--deliver")
    assert code == 0
    assert out.strip() == "no mail"
