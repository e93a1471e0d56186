"""Operators publish the terms and privacy policy at the terminal: `voiceqr legal
publish` (audited as "cli"), `list` and `show`; a file it cannot read, a bad date or an
unknown document is refused with a message and an exit code, and nothing is written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voiceqr.bootstrap import build
from voiceqr.domain.authz import OPERATOR
from voiceqr.domain.compliance.documents import LegalDocument
from voiceqr.domain.operations.audit import AuditEvent
from voiceqr.entrypoints.cli import app
from voiceqr.settings import load

runner = CliRunner()
TODAY = datetime.now(UTC).date()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"VOICEQR_DATA_DIR": str(tmp_path / "data"), "VOICEQR_LOG_LEVEL": "WARNING"}


def invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def stored(env: dict[str, str]) -> tuple[list[LegalDocument], list[AuditEvent]]:
    async def work() -> tuple[list[LegalDocument], list[AuditEvent]]:
        platform = build(load(env))
        await platform.start()
        try:
            documents = await platform.compliance.documents.every_version()
            found = await platform.operations.audit.page(
                OPERATOR, action="legal.publish", limit=100
            )
            return documents, list(found.items)
        finally:
            await platform.stop()

    return asyncio.run(work())


def test_an_operator_publishes_a_material_version_from_a_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    text = tmp_path / "terms-v2.md"
    text.write_text("# Terms\n\nWe keep audio for a year.\n", encoding="utf-8")
    on = (TODAY + timedelta(days=7)).isoformat()
    code, out = invoke(
        env,
        "legal", "publish", "terms", str(text), "--effective", on, "--material",
        "--summary", "How long audio is kept",
    )  # fmt: skip
    assert code == 0, out
    assert f"published terms version 2, in force from {on} (material)" in out
    code, out = invoke(env, "legal", "list")
    assert code == 0
    assert "terms   v2   from " + on + "  scheduled" in out
    assert "privacy v1" in out
    code, out = invoke(env, "legal", "show", "terms")
    assert code == 0
    assert "version 1" in out  # the version in force; version 2 is announced
    assert f"next: version 2 from {on}" in out
    documents, events = stored(env)
    [published] = [d for d in documents if d.version == 2 and d.kind == "terms"]
    assert published.material
    assert published.text == "# Terms\n\nWe keep audio for a year."
    [event] = events
    assert event.actor == "cli"
    assert event.details["reason"] == "How long audio is kept"


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("terms", "MISSING", "--effective", "2031-01-01"), 2, "cannot read"),
        (("terms", "FILE", "--effective", "tomorrow"), 2, "YYYY-MM-DD"),
        (("cookies", "FILE", "--effective", "2031-01-01"), 2, "use terms or privacy"),
        (("terms", "FILE", "--effective", "2001-01-01", "--summary", "New"), 2, "in the past"),
        (("terms", "EMPTY", "--effective", "2099-01-01"), 2, "text first"),
        (("terms", "FILE", "--effective", "2099-01-01"), 2, "what changed"),
    ],
)
def test_a_bad_publication_is_refused_with_a_message_and_writes_nothing(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...], exit_code: int, message: str
) -> None:
    files = {
        "FILE": tmp_path / "terms.md",
        "EMPTY": tmp_path / "empty.md",
        "MISSING": tmp_path / "nowhere" / "terms.md",
    }
    files["FILE"].write_text("New terms", encoding="utf-8")
    files["EMPTY"].write_text("  \n", encoding="utf-8")
    argv = [str(files[a]) if a in files else a for a in args]
    code, out = invoke(env, "legal", "publish", *argv)
    assert code == exit_code, out
    assert message in out
    documents, events = stored(env)
    assert [d.version for d in documents if d.kind == "terms"] == [1]
    assert events == []


def test_seeding_adds_a_first_version_only_where_none_exists(env: dict[str, str]) -> None:
    code, out = invoke(env, "legal", "seed")
    assert code == 0, out
    assert out.strip() == "nothing to add"  # the embedded platform seeded both at start
    code, out = invoke(env, "legal", "show", "privacy")
    assert code == 0
    assert "Privacy policy, version 1" in out
