"""Operators work the support queue at the terminal: list, show, reply (mailed), note
(not mailed), close (audited as "cli")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from voiceqr.bootstrap import build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.mail.outbox import OutboxMessage
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def open_ticket(env: dict[str, str]) -> UUID:
    """A user with a ticket assigned to a support agent, help@example.com."""

    async def work() -> UUID:
        platform = build(load(env))
        await platform.start()
        try:
            accounts = platform.accounts.accounts
            user = await accounts.create_user(
                email="ann@example.com",
                name="Ann",
                password="a long password",
                role=Role.USER,
                actor=OPERATOR,
            )
            await accounts.create_user(
                email="help@example.com",
                name="Hana",
                password="a long password",
                role=Role.SUPPORT,
                actor=OPERATOR,
            )
            thread = await platform.support.help_desk.open(
                user, subject="Silent code", body="My code plays nothing."
            )
            return thread.ticket.id
        finally:
            await platform.stop()

    return asyncio.run(work())


def outbox(env: dict[str, str]) -> list[OutboxMessage]:
    async def work() -> list[OutboxMessage]:
        platform = build(load(env))
        await platform.start()
        try:
            return await platform.mail.delivery.outbox(OPERATOR)
        finally:
            await platform.stop()

    return [m for m in asyncio.run(work()) if m.kind == "ticket_reply"]


def test_the_operator_lists_shows_answers_and_closes_a_ticket(env: dict[str, str]) -> None:
    tid = open_ticket(env)
    code, out = invoke(env, "support", "list", "--status", "open")
    assert code == 0, out
    assert str(tid) in out
    assert "ann@example.com" in out
    assert "Silent code" in out
    assert invoke(env, "support", "list", "--status", "closed")[1].strip() == "no tickets"
    assert invoke(env, "support", "list", "--mine")[0] == 2  # who is "me"?
    code, out = invoke(env, "support", "list", "--mine", "--me", "help@example.com")
    assert (code, out.strip()) == (0, "no tickets")

    assert invoke(env, "support", "reply", str(tid), "Checking.", "--internal")[0] == 0
    assert outbox(env) == []
    code, out = invoke(env, "support", "reply", str(tid), "Fixed: try again.")
    assert (code, out.strip()) == (0, "reply sent to the user")
    [mail] = outbox(env)
    assert mail.to == "ann@example.com"
    assert "Fixed: try again." in mail.text

    code, out = invoke(env, "support", "show", str(tid))
    assert code == 0, out
    assert "[NOTE ] voiceqr support" in out
    assert "Checking." in out
    assert "status: Waiting for the user" in out

    assert invoke(env, "support", "close", str(tid))[0] == 2  # --reason is required
    code, out = invoke(env, "support", "close", str(tid), "--reason", "answered")
    assert (code, out.strip()) == (0, "ticket closed")
    code, out = invoke(env, "support", "reply", str(tid), "More?")
    assert code == 4
    assert "closed" in out
    code, out = invoke(env, "audit", "--action", "ticket")
    assert [line.split()[3] for line in out.strip().splitlines()] == [
        "ticket.update",
        "ticket.reply",
        "ticket.note",
    ]


def test_an_unknown_ticket_is_said_so(env: dict[str, str]) -> None:
    code, out = invoke(env, "support", "show", "0190f3c2-0000-7000-8000-000000000000")
    assert code == 3
    assert "No such ticket" in out
    assert invoke(env, "support", "show", "not-an-id")[0] == 2
