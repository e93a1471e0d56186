"""What the pending-deletion banner costs every signed-in request: the account lookup
alone (before the banner), the same lookup joined with the account's pending deletion
(what runs now), and the lookup followed by a second query for the deletion (the naive
way), on SQLite and PostgreSQL, in the same run.

    .venv/bin/python bench/signed_in.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from fresh_databases import fresh_database

from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.account_data.deletion import schedule_by_owner
from voiceqr.domain.accounts.users import Role, User
from voiceqr.domain.shared.ids import uuid7


async def _timed(rounds: int, call: Callable[[], Awaitable[object]]) -> float:
    """The median time of one call, in microseconds (after a warm-up)."""
    for _ in range(50):
        await call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


async def _measure(engine_name: str, rounds: int) -> None:
    async with fresh_database(engine_name) as engine:
        uows = SqlUnitOfWorkFactory(engine)
        now = datetime.now(UTC)
        user = User(uuid7(), "ann@example.com", "Ann", "h", Role.USER, now)
        async with uows() as uow:
            await uow.users.add(user)
            await uow.account_deletions.save(
                schedule_by_owner(user.id, now=now, grace=timedelta(days=14))
            )
            await uow.commit()

        async def alone() -> object:
            async with uows() as uow:
                return await uow.users.get(user.id)

        async def joined() -> object:
            async with uows() as uow:
                return await uow.users.get_signed_in(user.id)

        async def two_queries() -> object:
            async with uows() as uow:
                found = await uow.users.get(user.id)
            async with uows() as uow:
                return found, await uow.account_deletions.get(user.id)

        base = await _timed(rounds, alone)
        now_cost = await _timed(rounds, joined)
        naive = await _timed(rounds, two_queries)
        print(
            f"{engine_name:<10} account alone {base:7.0f} µs   joined with its deletion "
            f"{now_cost:7.0f} µs ({now_cost / base:.2f}x)   a second query {naive:7.0f} µs "
            f"({naive / base:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    for engine_name in ("sqlite", "postgresql"):
        asyncio.run(_measure(engine_name, rounds))


if __name__ == "__main__":
    main()
