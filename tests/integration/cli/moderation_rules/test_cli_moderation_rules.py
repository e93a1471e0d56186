"""Operators set, list, switch and try flagging rules at the terminal, and approve or
reject held generations (audited as "cli"); bad input is one error line and exit 2."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.bootstrap import build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()
SPAM = "Cheap watches at the door!"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["moderation", *args], env=env)
    return result.exit_code, result.output


def requested(env: dict[str, str], texts: list[str]) -> list[UUID]:
    """Each text requested by its own new account, in the first seeded voice."""

    async def work() -> list[UUID]:
        platform = build(load(env))
        await platform.start()
        try:
            voice = (await platform.voices.list_for(None))[0]
            ids = []
            for n, text in enumerate(texts):
                user = await platform.accounts.accounts.create_user(
                    email=f"u{n}@example.com",
                    name="U",
                    password="a long password",
                    role=Role.USER,
                    actor=OPERATOR,
                )
                made = await platform.generations.generations.request(
                    user, text=text, voice_id=voice.id
                )
                ids.append(made.id)
            return ids
        finally:
            await platform.stop()

    return asyncio.run(work())


def status_of(env: dict[str, str], generation_id: UUID) -> GenerationStatus:
    async def work() -> GenerationStatus:
        database = SqlUnitOfWorkFactory(create_engine(load(env).database_url))
        try:
            async with database() as uow:
                found = await uow.generations.get(generation_id)
        finally:
            await database.dispose()
        assert found is not None
        return found.status

    return asyncio.run(work())


def test_an_operator_sets_tries_and_switches_a_rule(env: dict[str, str]) -> None:
    code, out = invoke(
        env,
        "rules",
        "set",
        "same-text",
        "--kind",
        "same_text",
        "--param",
        "accounts=2",
        "--param",
        "window_hours=1",
        "--severity",
        "2",
        "--reason",
        "a spam wave",
    )
    assert code == 0, out
    assert "same-text" in out
    assert "off" in out
    requested(env, [SPAM, SPAM, "Hello"])
    code, out = invoke(env, "dry-run", "same-text", "--last", "10")
    assert code == 0, out
    assert "would have flagged 1 of the last 3 generations" in out
    assert SPAM[:20] in out
    code, out = invoke(env, "rules", "enable", "same-text", "--reason", "it works")
    assert code == 0, out
    code, out = invoke(env, "rules", "list")
    assert "same-text" in out
    assert " on " in out


def test_bad_rule_input_is_one_error_line_and_exit_2(env: dict[str, str]) -> None:
    code, out = invoke(
        env,
        "rules",
        "set",
        "x",
        "--kind",
        "same_text",
        "--param",
        "accounts=2",
        "--param",
        "window_hours=-1",
        "--reason",
        "r",
    )
    assert code == 2
    assert "window_hours" in out
    code, out = invoke(env, "rules", "set", "x", "--kind", "moon_phase", "--reason", "r")
    assert code == 2
    code, out = invoke(env, "dry-run", "no-such-rule")
    assert code == 3
    assert "no rule" in out.lower()


def test_an_operator_approves_one_held_generation_and_rejects_another(
    env: dict[str, str],
) -> None:
    first, second = requested(env, ["Send bitcoin today", "Crypto giveaway now"])
    assert status_of(env, first) is GenerationStatus.PENDING_REVIEW
    code, out = invoke(env, "held")
    assert code == 0, out
    assert str(first) in out
    assert str(second) in out
    code, out = invoke(env, "approve", str(first), "--reason", "a real charity")
    assert code == 0, out
    code, out = invoke(env, "reject", str(second), "--reason", "a scam")
    assert code == 0, out
    assert status_of(env, first) is GenerationStatus.PENDING
    assert status_of(env, second) is GenerationStatus.FAILED
    code, out = invoke(env, "approve", str(second), "--reason", "changed my mind")
    assert code == 4  # a rejected text stays rejected
    code, out = invoke(env, "approve", "not-an-id", "--reason", "x")
    assert code == 2
