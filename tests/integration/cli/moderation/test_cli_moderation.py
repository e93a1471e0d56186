"""Operators work the moderation queue at the terminal: the queue, an item, and a
decision that needs a reason (audited as "cli")."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory, create_engine
from voiceqr.application.playback.playback import Visit
from voiceqr.application.shared.ports import SpeechResult
from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()


class Speaks:
    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: object) -> SpeechResult:
        return SpeechResult(b"ID3\x04fake-mp3:" + text.encode(), characters_billed=len(text))


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def reported_code(env: dict[str, str]) -> tuple[UUID, str]:
    """A completed generation that a visitor reported as spam."""

    async def work() -> tuple[UUID, str]:
        settings = load(env)
        database = SqlUnitOfWorkFactory(create_engine(settings.database_url))
        platform = build(settings, Adapters(uow=database, speech={"espeak": Speaks()}))
        await platform.start()
        try:
            owner = await platform.accounts.accounts.create_user(
                email="ann@example.com",
                name="Ann",
                password="a long password",
                role=Role.USER,
                actor=OPERATOR,
            )
            voice = (await platform.voices.list_for(None))[0]
            generations = platform.generations.generations
            made = await generations.request(owner, text="Buy cheap pills", voice_id=voice.id)
            await generations.process(made.id)
            await platform.moderation.reports.report(
                made.public_code, ReasonCode.SPAM, visit=Visit(address="203.0.113.9")
            )
            return made.id, made.public_code
        finally:
            await platform.stop()
            await database.dispose()

    return asyncio.run(work())


def test_an_operator_lists_shows_and_quarantines_a_reported_code(env: dict[str, str]) -> None:
    generation_id, _ = reported_code(env)
    status, out = invoke(env, "moderation", "queue")
    assert status == 0, out
    assert str(generation_id) in out
    assert "1 reports" in out

    status, out = invoke(env, "moderation", "show", str(generation_id))
    assert status == 0, out
    assert "Buy cheap pills" in out
    assert "report" in out

    status, out = invoke(
        env, "moderation", "decide", str(generation_id), "quarantine", "--category", "spam"
    )
    assert status == 2  # --reason is required
    status, out = invoke(
        env,
        "moderation",
        "decide",
        str(generation_id),
        "quarantine",
        "--reason",
        "Pill spam",
        "--category",
        "spam",
    )
    assert status == 0, out
    assert "Quarantined" in out
    status, out = invoke(env, "moderation", "queue")
    assert "nothing waits for a decision" in out
    status, out = invoke(env, "moderation", "show", str(generation_id))
    assert "Pill spam" in out
    assert "by voiceqr moderation" in out


def test_a_decision_the_state_does_not_allow_is_refused_with_a_message(
    env: dict[str, str],
) -> None:
    generation_id, _ = reported_code(env)
    status, out = invoke(
        env, "moderation", "decide", str(generation_id), "reverse", "--reason", "nothing to undo"
    )
    assert status != 0
    assert "cannot be restored" in out
    status, out = invoke(env, "moderation", "show", "not-an-id")
    assert status == 2
