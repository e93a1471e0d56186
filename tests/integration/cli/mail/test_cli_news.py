"""`voiceqr mail news`: product news queued for the confirmed users who opted in, with a
dry run that writes nothing, audited as "cli"; bad input is a message and exit code."""

from __future__ import annotations

import asyncio
from pathlib import Path

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


@pytest.fixture
def news_file(tmp_path: Path) -> Path:
    path = tmp_path / "news.txt"
    path.write_text("Three new voices are in the gallery.\n", encoding="utf-8")
    return path


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def people(env: dict[str, str]) -> None:
    """fan@ asked for news, quiet@ did not."""

    async def work() -> None:
        platform = build(load(env))
        await platform.start()
        try:
            for email in ("fan@example.com", "quiet@example.com"):
                user = await platform.accounts.accounts.create_user(
                    email=email,
                    name="A",
                    password="a long password",
                    role=Role.USER,
                    actor=OPERATOR,
                )
                if email.startswith("fan"):
                    await platform.mail.preferences.update(user, {"product_news_mail": "on"})
        finally:
            await platform.stop()

    asyncio.run(work())


def news_mail(env: dict[str, str]) -> list[OutboxMessage]:
    async def work() -> list[OutboxMessage]:
        platform = build(load(env))
        await platform.start()
        try:
            return await platform.mail.delivery.outbox(OPERATOR)
        finally:
            await platform.stop()

    return [m for m in asyncio.run(work()) if m.kind == "product_news"]


def test_news_goes_to_those_who_opted_in_after_a_dry_run(
    env: dict[str, str], news_file: Path
) -> None:
    people(env)
    code, out = invoke(env, "mail", "news", "--subject", "New voices", str(news_file), "--dry-run")
    assert code == 0, out
    assert "would tell 1 user(s)" in out
    assert news_mail(env) == []

    code, out = invoke(env, "mail", "news", "--subject", "New voices", str(news_file))
    assert code == 0, out
    assert "told 1 user(s)" in out
    [mail] = news_mail(env)
    assert (mail.to, mail.subject) == ("fan@example.com", "New voices")
    assert "Three new voices" in mail.text
    code, out = invoke(env, "audit", "--action", "mail.news")
    assert code == 0, out
    assert "mail.news" in out


def test_a_missing_file_or_a_bad_subject_is_a_clear_error(
    env: dict[str, str], news_file: Path, tmp_path: Path
) -> None:
    code, out = invoke(env, "mail", "news", "--subject", "Hi", str(tmp_path / "nope.txt"))
    assert code == 2
    assert "cannot read" in out
    code, out = invoke(env, "mail", "news", "--subject", " ", str(news_file))
    assert code != 0
    assert "subject" in out
    code, out = invoke(env, "mail", "news", str(news_file))
    assert code == 2


def test_the_outbox_listing_still_works(env: dict[str, str]) -> None:
    code, out = invoke(env, "mail", "--deliver")
    assert code == 0, out
    assert out.strip() == "no mail"
