"""Operators recover failed generations from the CLI (F3): list, retry, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from voiceqr.bootstrap import Adapters, build
from voiceqr.domain.accounts.users import Role
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.shared.errors import ErrorCategory, SpeechError
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()


class QuotaGone:
    """A speech provider whose quota is used up: a final failure at once."""

    provider = "espeak"
    max_text_length = 5000

    async def synthesize(self, text: str, voice: object) -> object:
        raise SpeechError(
            "The speech quota is used up.",
            category=ErrorCategory.QUOTA,
            code="quota_exceeded",
            retryable=False,
        )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def make_generations(env: dict[str, str]) -> tuple[UUID, UUID]:
    """One generation that failed for good, one still pending."""

    assert invoke(env, "voices", "list")[0] == 0  # a new data dir: seeded with real espeak

    async def work() -> tuple[UUID, UUID]:
        platform = build(load(env), Adapters(speech={"espeak": QuotaGone()}))
        await platform.start(worker=False)
        try:
            user = await platform.accounts.accounts.create_user(
                email="ops@example.com",
                name="Ops",
                password="a long password",
                role=Role.USER,
                actor=OPERATOR,
            )
            voice = (await platform.voices.list_for(user))[0]
            failed = await platform.generations.generations.request(
                user, text="Hello", voice_id=voice.id
            )
            await platform.generations.generations.process(failed.id)
            pending = await platform.generations.generations.request(
                user, text="Later", voice_id=voice.id
            )
            done = await platform.generations.generations.get_for_owner(user, failed.id)
            assert done.status is GenerationStatus.FAILED
            return failed.id, pending.id
        finally:
            await platform.stop()

    return asyncio.run(work())


def test_failed_generations_are_listed_retried_and_cancelled(env: dict[str, str]) -> None:
    failed, pending = make_generations(env)

    code, out = invoke(env, "generations", "failed")
    assert code == 0, out
    assert f"{failed}" in out
    assert "quota/quota_exceeded" in out
    assert str(pending) not in out
    assert invoke(env, "generations", "failed", "--category", "storage")[1].strip() == (
        "no failed generations"
    )

    code, out = invoke(env, "generations", "cancel", str(failed))
    assert code == 4  # already failed: nothing to cancel
    code, out = invoke(env, "generations", "retry", str(pending))
    assert code == 4  # not failed: nothing to retry
    assert f"skipped {pending}" in out

    code, out = invoke(env, "generations", "retry", str(failed))
    assert code == 0, out
    assert f"retrying {failed}" in out
    assert invoke(env, "generations", "failed")[1].strip() == "no failed generations"

    code, out = invoke(env, "generations", "cancel", str(pending))
    assert code == 0, out
    assert "cancelled_by_admin" in out
    assert str(pending) in invoke(env, "generations", "failed")[1]


def test_an_unknown_generation_is_a_clear_error(env: dict[str, str]) -> None:
    make_generations(env)
    missing = "01a213cf-0000-7000-8000-000000000000"
    assert invoke(env, "generations", "retry", missing)[0] == 3
    assert invoke(env, "generations", "cancel", missing)[0] == 3
    assert invoke(env, "generations", "cancel", "not-a-uuid")[0] == 2
