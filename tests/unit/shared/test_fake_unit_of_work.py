"""The fake unit of work is composed from the SQL one's list of parts, repository for repository."""

from __future__ import annotations

from tests.unit.fakes.unit_of_work import FakeUnitOfWork
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWork


def _repositories(unit_of_work: type) -> set[str]:
    return {
        name
        for cls in unit_of_work.__mro__
        for name in vars(cls).get("__annotations__", {})
        if not name.startswith("_")
    }


def test_the_fake_unit_of_work_has_every_repository_of_the_sql_one() -> None:
    assert _repositories(SqlUnitOfWork)
    assert _repositories(FakeUnitOfWork) == _repositories(SqlUnitOfWork)
