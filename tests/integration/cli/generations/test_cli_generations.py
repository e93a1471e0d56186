"""Operators recover failed generations from the CLI (F3): list, retry, cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.failed_generations import make_generations
from voiceqr.entrypoints.cli import app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


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
