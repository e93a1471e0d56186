"""What a feature declares for the background worker: its tasks and its periodic jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from voiceqr.bootstrap import Platform
from voiceqr.settings import Settings


@dataclass(frozen=True, slots=True)
class Task:
    """A job sent by name: `run(platform, *ids)`. Ids only, and safe to run twice."""

    name: str
    run: Callable[..., Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Periodic:
    """A job run once per period across all workers; `run` returns how many things
    it did, and `seconds` reads its period from the settings.

    `order` places it in a pass over the due jobs: lower runs first, and jobs of the
    same order run in the order of their features' module names.
    """

    name: str
    seconds: Callable[[Settings], float]
    run: Callable[[Platform], Awaitable[int]]
    order: int = 0


LAST = 1
"""The order of a job that sends what the others of the same pass produced (mail delivery)."""


@dataclass(frozen=True, slots=True)
class Consumer:
    """Work that runs for as long as the worker does (each worker runs one of each),
    such as storing the playback events a log hands over; cancelled on stop."""

    name: str
    run: Callable[[Platform], Awaitable[None]]


def sweep_interval(settings: Settings) -> float:
    """VOICEQR_JOBS_SWEEP_INTERVAL_SECONDS: the sweep, and the work that runs beside it."""
    return settings.jobs.sweep_interval_seconds


async def queue_answers(platform: Platform) -> bool:
    """What this process last saw of the queue; once it went away, asked again each
    period (a failed send is not the listener's business, and nothing else would clear
    it). While it is away nothing can be handed to it: what is due stays due in the
    database and goes on the first run after it is back."""
    health = platform.operations.queue_health
    if health.state.reachable:
        return True
    return (await health.check(max_age=sweep_interval(platform.settings))).reachable
