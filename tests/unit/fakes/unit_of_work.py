"""The fake unit of work: a transaction on a FakeDatabase, composed of one part per feature."""

from __future__ import annotations

import re
from importlib import import_module
from typing import Self

from tests.unit.fakes.database import FakeDatabase, Part
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWork


def _fake_parts() -> tuple[type[Part], ...]:
    """The fake of each part of the SQL unit of work, found by name: the fake of
    `AccountsPart` is `AccountsPart` in `tests/unit/fakes/accounts.py`, and so on. A
    feature with a part and no fake fails here, on import, naming the file it needs."""
    parts = []
    for sql_part in SqlUnitOfWork.__bases__:
        feature = re.sub(r"(?<!^)(?=[A-Z])", "_", sql_part.__name__.removesuffix("Part")).lower()
        module = import_module(f"tests.unit.fakes.{feature}")
        parts.append(getattr(module, sql_part.__name__))
    return tuple(parts)


class _Transaction(Part):
    """One transaction on a FakeDatabase: writes not followed by `commit()` are undone on exit.

    Writes go to the shared database at once (so compare-and-set sees other units of
    work), and a snapshot taken on enter (and at each commit) is restored on exit if
    anything was written since. Units of work are meant to run one after another.
    """

    def __init__(self, factory: FakeUnitOfWorkFactory) -> None:
        self._factory = factory
        self._db = factory.database
        self._snapshot: FakeDatabase | None = None
        self._dirty = False
        self._active = False
        self.attach()

    def database_in_use(self) -> FakeDatabase:
        if not self._active:
            raise RuntimeError("repository used outside `async with uow:`")
        return self._db

    def wrote(self) -> None:
        self._dirty = True

    async def __aenter__(self) -> Self:
        if self._active:
            raise RuntimeError("a unit of work is not re-entrant")
        self._active = True
        self._dirty = False
        self._snapshot = self._db.snapshot()
        self._factory.opened += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._dirty and self._snapshot is not None:
            self._db.restore(self._snapshot)
            self._factory.rollbacks += 1
        self._active = False
        self._dirty = False
        self._snapshot = None

    async def commit(self) -> None:
        if not self._active:
            raise RuntimeError("commit outside `async with uow:`")
        if self._factory.fail_commits:
            self._factory.fail_commits -= 1
            raise ConnectionError("the database went away")
        self._snapshot = self._db.snapshot()
        self._dirty = False
        self._factory.commits += 1


class FakeUnitOfWork(_Transaction, *_fake_parts()):  # type: ignore[misc]  (bases found by name)
    """Every feature's fake repositories on one fake transaction (see `_Transaction`)."""


class FakeUnitOfWorkFactory:
    def __init__(self, database: FakeDatabase | None = None) -> None:
        self.database = database if database is not None else FakeDatabase()
        self.down = False
        self.fail_commits = 0  # how many next commits raise ConnectionError
        self.opened = 0
        self.commits = 0
        self.rollbacks = 0

    def __call__(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    async def check(self) -> None:
        if self.down:
            raise ConnectionError("the database cannot be reached")
