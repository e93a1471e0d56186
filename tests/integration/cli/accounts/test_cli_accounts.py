"""Operator commands for accounts: disable, enable, lock, unlock, verify (each with the
reason the owner reads on their security page), and the mail outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceqr.bootstrap import build
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()
PASSWORD = "a long password"
WHY = "asked on ticket 7"


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
    code, out = invoke(env, "users", "disable", "OPS@example.com", "--reason", WHY)
    assert code == 0, out
    assert "disabled ops@example.com" in out
    assert "[disabled]" in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "enable", "ops@example.com", "--reason", WHY)
    assert code == 0
    assert "[active]" in invoke(env, "users", "list")[1]


def test_lock_and_unlock_an_account(env: dict[str, str]) -> None:
    code, out = invoke(env, "users", "lock", "ops@example.com", "--minutes", "30", "--reason", WHY)
    assert code == 0, out
    assert "locked ops@example.com until" in out
    assert "locked until" in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "unlock", "ops@example.com", "--reason", WHY)
    assert code == 0
    assert "locked until" not in invoke(env, "users", "list")[1]


@pytest.mark.parametrize("command", ["disable", "enable", "lock", "unlock", "verify"])
def test_an_unknown_account_is_a_clear_error(env: dict[str, str], command: str) -> None:
    code, out = invoke(env, "users", command, "ghost@example.com", "--reason", WHY)
    assert code == 3
    assert "No account has the email ghost@example.com" in out


@pytest.mark.parametrize("command", ["disable", "enable", "lock", "unlock", "verify"])
def test_a_change_without_a_reason_is_refused_with_exit_2_and_changes_nothing(
    env: dict[str, str], command: str
) -> None:
    before = invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", command, "ops@example.com")
    assert code == 2
    assert "--reason" in out
    code, out = invoke(env, "users", command, "ops@example.com", "--reason", "   ")
    assert code == 2
    assert "needs a reason" in out
    assert invoke(env, "users", "list")[1] == before
    code, out = invoke(env, "audit")
    assert [line.split()[3] for line in out.strip().splitlines()] == ["user.create"]


def test_the_reason_is_in_the_audit_log_and_on_the_owners_security_page(
    env: dict[str, str],
) -> None:
    assert invoke(env, "users", "lock", "ops@example.com", "--reason", WHY)[0] == 0
    code, out = invoke(env, "users", "show", "ops@example.com")
    assert code == 0, out
    assert f"user.lock  by cli  {WHY}" in out

    async def owner_reads() -> list[tuple[str, str]]:
        platform = build(load(env))
        await platform.start()
        try:
            user = await platform.accounts.accounts.get_by_email("ops@example.com")
            assert user is not None
            changes = await platform.accounts.staff.changes_for_owner(user)
        finally:
            await platform.stop()
        return [(c.what, c.why) for c in changes]

    assert asyncio.run(owner_reads())[0] == ("Your account was locked", WHY)  # newest first


def test_created_accounts_are_verified_and_mail_starts_empty(env: dict[str, str]) -> None:
    assert "unverified" not in invoke(env, "users", "list")[1]
    code, out = invoke(env, "users", "verify", "ops@example.com", "--reason", WHY)
    assert code == 2  # nothing to do: the backoffice says the same
    assert "The email is verified already." in out
    code, out = invoke(env, "mail", "--deliver")
    assert code == 0
    assert out.strip() == "no mail"
