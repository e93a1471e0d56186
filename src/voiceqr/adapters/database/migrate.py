"""Schema migrations (Alembic), shipped inside the package and run by `voiceqr db`."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from voiceqr.domain.shared.errors import ValidationError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The lines every script here names itself and its parent with (a merge's tuple of
# parents does not match, and then Alembic is asked).
_NAMES = re.compile(r'^(revision|down_revision) = (?:"([^"]+)"|None)$', re.MULTILINE)


def _config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    # The embedded platform upgrades at every start, and a restart finds its database
    # up to date: one query says so, without loading Alembic (and the template engine
    # and syntax highlighter it imports, a good part of a restart's time).
    if revision == "head" and await _is_at(engine, shipped_head()):
        return
    from alembic import command

    async with engine.begin() as connection:
        await connection.run_sync(lambda c: _to(command.upgrade, c, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    async with engine.begin() as connection:
        await connection.run_sync(lambda c: _to(command.downgrade, c, revision))


def shipped_head() -> str | None:
    """The newest revision, read from the scripts' own lines without Alembic; None
    when they do not name exactly one (then only Alembic can tell)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        names = {match[1]: match[2] for match in _NAMES.finditer(script.read_text())}
        if not names.get("revision"):
            return None
        revisions.add(names["revision"])
        if names.get("down_revision"):
            parents.add(names["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def _is_at(engine: AsyncEngine, revision: str | None) -> bool:
    if revision is None:
        return False
    try:
        async with engine.connect() as connection:
            found = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            return [row[0] for row in found] == [revision]
    except DBAPIError:  # no such table: a new database
        return False


def _to(step: Callable[[Config, str], None], connection: Connection, revision: str) -> None:
    from alembic.util import CommandError

    try:
        step(_config(connection), revision)
    except CommandError as exc:  # a revision that does not exist or cannot be reached
        raise ValidationError(f"{exc}.", code="unknown_revision") from None


async def current(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_revision()
        )


def head() -> str:
    """The newest revision shipped in the package."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_current_head()
    assert revision is not None
    return revision
