"""The playback page's cache of public codes: one read per code, stale answers only for
a bounded time and never after `forget`, and no visitor waiting on a refresh."""

from __future__ import annotations

import asyncio
import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceqr.application.playback.codes import CodeCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Database:
    """Answers for codes, counting reads; `gate` holds reads until it is set."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def read(self, code: str) -> str:
        self.reads += 1
        await self.gate.wait()
        return self.answers.get(code, "nothing")


async def test_lookups_at_the_same_moment_share_one_read() -> None:
    db, cache = Database(), CodeCache[str](seconds=2, now=Clock())
    db.answers["abc"] = "page v1"
    db.gate.clear()

    lookups = [asyncio.create_task(cache.get("abc", db.read)) for _ in range(20)]
    await asyncio.sleep(0)
    db.gate.set()

    assert await asyncio.gather(*lookups) == ["page v1"] * 20
    assert db.reads == 1


async def test_an_expired_answer_is_served_while_one_read_refreshes_it() -> None:
    clock, db = Clock(), Database()
    cache = CodeCache[str](seconds=2, now=clock)
    db.answers["abc"] = "page v1"
    assert await cache.get("abc", db.read) == "page v1"
    db.answers["abc"] = "page v2"
    db.gate.clear()  # the database is slow now
    clock.now = 3.0

    # Nobody waits for the slow database: the last answer is served meanwhile.
    assert [await cache.get("abc", db.read) for _ in range(5)] == ["page v1"] * 5
    await asyncio.sleep(0)
    assert db.reads == 2  # one refresh under way, not five
    db.gate.set()
    await asyncio.sleep(0.01)

    assert await cache.get("abc", db.read) == "page v2"
    assert db.reads == 2


async def test_a_forgotten_code_is_read_again_and_a_read_under_way_is_not_kept() -> None:
    db, cache = Database(), CodeCache[str](seconds=60, now=Clock())
    db.answers["abc"] = "page v1"
    db.gate.clear()
    old_read = asyncio.create_task(cache.get("abc", db.read))
    await asyncio.sleep(0)

    db.answers["abc"] = "removed"
    cache.forget("abc")  # the process deleted it while a visitor's read was under way
    db.gate.set()
    await old_read

    assert await cache.get("abc", db.read) == "removed"


async def test_a_failed_read_is_not_remembered() -> None:
    cache = CodeCache[str](seconds=60, now=Clock())

    async def broken(code: str) -> str:
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        await cache.get("abc", broken)

    async def working(code: str) -> str:
        return "page"

    assert await cache.get("abc", working) == "page"


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["get", "forget", "change", "tick"]), st.sampled_from("abc")),
        max_size=40,
    )
)
def test_an_answer_is_never_older_than_its_lifetime(steps: list[tuple[str, str]]) -> None:
    """Whatever happens, a lookup answers what the database said at most `seconds` (plus
    the one refresh it starts) ago, and after `forget` what it says now."""

    async def run() -> None:
        clock, versions = Clock(), dict.fromkeys("abc", 0)
        cache = CodeCache[tuple[int, float]](seconds=2, capacity=2, now=clock)
        changed_at: dict[str, list[float]] = {code: [0.0] for code in "abc"}

        async def read(code: str) -> tuple[int, float]:
            return versions[code], clock.now

        for step, code in steps:
            if step == "tick":
                clock.now += 1.0
            elif step == "change":
                versions[code] += 1
                changed_at[code].append(clock.now)
            elif step == "forget":
                cache.forget(code)
                changed_at[code][-1] = -1.0  # the process that changed it forgot it
            else:
                version, read_at = await cache.get(code, read)
                await asyncio.sleep(0)  # a refresh it started may finish
                assert read_at > clock.now - 4.0  # read less than twice `seconds` ago
                if version < versions[code]:  # stale: only if changed elsewhere, lately
                    assert changed_at[code][version + 1] >= read_at

    asyncio.run(run())


async def test_an_answer_older_than_twice_its_lifetime_is_read_before_it_is_served() -> None:
    clock, db = Clock(), Database()
    cache = CodeCache[str](seconds=2, now=clock)
    db.answers["abc"] = "page v1"
    await cache.get("abc", db.read)
    db.answers["abc"] = "page v2"
    clock.now = 4.0  # nobody asked for a while

    assert await cache.get("abc", db.read) == "page v2"


async def test_a_refresh_under_way_when_its_code_is_forgotten_runs_to_its_end() -> None:
    # A database driver's waiter is often referenced by the waiting task alone; the
    # event loop holds tasks weakly. A refresh that `forget` dropped must still be
    # kept by someone, or the collector destroys it mid-read.
    clock = Clock()
    cache = CodeCache[str](seconds=2, now=clock)
    reported: list[str] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: reported.append(context["message"]))
    started = asyncio.Event()

    async def read_on_a_waiter_only_the_read_holds(code: str) -> str:
        started.set()
        await loop.create_future()
        return "never"

    async def first_read(code: str) -> str:
        return "page v1"

    try:
        assert await cache.get("abc", first_read) == "page v1"
        clock.now = 3.0
        assert await cache.get("abc", read_on_a_waiter_only_the_read_holds) == "page v1"
        await started.wait()
        cache.forget("abc")
        gc.collect()
        await asyncio.sleep(0)

        assert reported == []
        refreshes = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert len(refreshes) == 1
        assert not refreshes[0].done()
        refreshes[0].cancel()
        await asyncio.gather(*refreshes, return_exceptions=True)
    finally:
        loop.set_exception_handler(None)
