"""Operators read the audit log and the failure numbers from the CLI (O11, F6), and
their own account changes at the terminal are audited as "cli"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceqr.entrypoints.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_operator_account_actions_are_listed_by_voiceqr_audit(env: dict[str, str]) -> None:
    assert invoke(env, "audit")[1].strip() == "no admin actions recorded"
    code, out = invoke(
        env,
        "users",
        "create",
        "ann@example.com",
        "--name",
        "Ann",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert code == 0, out
    for command in ("disable", "enable", "lock", "unlock"):
        code, out = invoke(env, "users", command, "ann@example.com", "--reason", "a test")
        assert code == 0, out

    code, out = invoke(env, "audit")
    assert code == 0, out
    lines = out.strip().splitlines()
    assert [line.split()[3] for line in lines] == [
        "user.unlock",
        "user.lock",
        "user.enable",
        "user.disable",
        "user.create",
    ]
    assert all(line.split()[2] == "cli" for line in lines)
    assert "email=ann@example.com" in lines[-1]

    code, out = invoke(env, "audit", "--action", "user.lock", "--limit", "5")
    assert code == 0, out
    assert [line.split()[3] for line in out.strip().splitlines()] == ["user.lock"]
    assert len(invoke(env, "audit", "--limit", "2")[1].strip().splitlines()) == 2
    code, out = invoke(env, "audit", "--action", "User Lock")
    assert code == 2
    assert "not an audit action" in out


def test_failure_numbers_from_the_terminal(env: dict[str, str]) -> None:
    code, out = invoke(env, "failures")
    assert code == 0, out
    assert "now: 0 of 0 attempts failed in the last 15 min" in out
    assert "below the alert threshold" in out
    code, out = invoke(env, "failures", "--window", "7d")
    assert code == 0, out
    assert "last 7d: 0 of 0 attempts failed" in out
    assert invoke(env, "failures", "--window", "30d")[0] == 2
