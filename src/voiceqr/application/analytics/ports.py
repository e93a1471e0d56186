"""What analytics needs: the roll-ups of scans and listens, read beside the raw events
of the days not rolled up yet, and an owner's usage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.generations.ports import GenerationRepository
from voiceqr.application.shared.ports import PreferencesRepository, Transaction
from voiceqr.domain.analytics.periods import DateRange
from voiceqr.domain.analytics.tallies import CodeTally, Counts, Dimension, Tally


@dataclass(frozen=True, slots=True)
class TallyQuery:
    """The tallies of one dimension over `days` (UTC), of an owner's codes or one of them."""

    owner_id: UUID
    dimension: Dimension
    days: DateRange
    generation_id: UUID | None = None  # None: every code of the owner
    per_day: bool = False  # False: summed over the days (each Tally's day is None)


@dataclass(frozen=True, slots=True)
class Usage:
    """What an owner has made (P4): generations, characters spoken, storage used."""

    generations_total: int = 0
    generations_this_month: int = 0
    codes: int = 0  # generations not deleted: codes that play
    characters_spoken: int = 0
    storage_bytes: int = 0


@dataclass(frozen=True, slots=True)
class CodeLabel:
    public_code: str
    text: str
    deleted: bool


class RollUpRepository(Protocol):
    """Writing the roll-ups: each complete UTC day of the playback events, per code and
    per owner, and the complete hours of the days after it; and deleting old events."""

    async def rolled_through(self) -> date | None:
        """The last UTC day rolled up, or None before the first roll-up."""
        ...

    async def first_event_day(self) -> date | None:
        """The UTC day of the oldest raw event, or None without any."""
        ...

    async def roll_up(self, day: date) -> None:
        """Replace the roll-ups of `day` with the tallies of its raw events, and record
        it as the last day rolled up. A store that also keeps coarser roll-ups (per
        month) makes them again here, in the same transaction, for any month this
        completes or changes (see domain.analytics.rollups.months_to_roll_up)."""

    async def roll_up_hours(self, until: datetime) -> None:
        """Roll up the hours of the days after the last day rolled up, every dimension,
        each complete hour before `until` (the start of an hour) not rolled up yet;
        forget those of days rolled up since. The hours only make reads faster:
        `recent_by` and `recent_hours` say the same with or without them."""

    async def delete_events_before(self, moment: datetime) -> int:
        """Delete the raw events older than `moment`; returns how many."""
        ...


class AnalyticsRepository(Protocol):
    """Reading the roll-ups of the playback events per code, per UTC day and per
    dimension, for the dashboards.

    Each read has two sources of the same shape: the roll-ups (days up to the last
    rolled-up one) and the raw events (any day, for the days not rolled up yet). A
    value (or code) with nothing counted may be left out of a read's tallies.
    """

    async def rolled_through(self) -> date | None:
        """The last UTC day rolled up, or None before the first roll-up."""
        ...

    async def rolled_up(self, query: TallyQuery) -> list[Tally]:
        """The query's tallies from the roll-ups."""
        ...

    async def rolled_up_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        """The query's tallies from the roll-ups, for each of several dimensions at once
        (the query's own dimension is not used)."""
        ...

    async def raw_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        """The query's tallies counted from the raw events, for several dimensions."""
        ...

    async def rolled_up_halves(self, query: TallyQuery, cutoff: int) -> list[Tally]:
        """The query's UTC hours (dimension `hour`) from the roll-ups, summed per day in
        two: value "before" (hours before `cutoff`, 0-24) and "after" (the others).
        Visitors are not counted (0: they are unique per hour, not per half), and a
        half with nothing counted may be left out."""
        ...

    async def rolled_up_week(self, query: TallyQuery) -> list[tuple[int, int, Counts]]:
        """The query's UTC hours from the roll-ups, summed per UTC weekday (0 Monday)
        and hour: (weekday, hour, counts)."""
        ...

    async def recent_hours(self, query: TallyQuery) -> list[Tally]:
        """The query's UTC hours (dimension `hour`) per day, of days not rolled up yet:
        what `raw` says of them, read from the hours rolled up so far and the raw
        events after them."""
        ...

    async def recent_by(
        self, query: TallyQuery, dimensions: Sequence[Dimension]
    ) -> dict[Dimension, list[Tally]]:
        """The query's tallies of days not rolled up yet, for several dimensions: what
        `raw_by` says of them, read from their hours rolled up so far and the raw events
        after them."""
        ...

    async def raw(self, query: TallyQuery) -> list[Tally]:
        """The query's tallies counted from the raw events."""
        ...

    async def by_code(self, owner_id: UUID, days: DateRange, *, rolled_up: bool) -> list[CodeTally]:
        """The total of each of the owner's codes with a hit in `days`, from the
        roll-ups or from the raw events."""
        ...

    async def top_by_code(
        self,
        owner_id: UUID,
        rolled: DateRange | None,
        raw: DateRange | None,
        *,
        by: str,
        limit: int,
    ) -> list[CodeTally]:
        """The owner's `limit` codes with most `by` ("scans" or "listens") over the
        days `rolled` read from the roll-ups and the days `raw` from the raw events
        (either may be None): most `by`, then most scans, then by id; a code with no
        `by` is left out."""
        ...

    async def labels(self, owner_id: UUID, generation_ids: list[UUID]) -> dict[UUID, CodeLabel]:
        """The public code and text of each of the owner's generations among the ids."""
        ...

    async def usage(self, owner_id: UUID, *, month_start: datetime) -> Usage:
        """The owner's generations, the characters spoken and the storage they use."""
        ...


class AnalyticsUnitOfWork(Transaction, Protocol):
    """The roll-ups, the generations their owner asks about, and the owner's
    preferences (the time zone they chose)."""

    analytics: AnalyticsRepository
    generations: GenerationRepository
    preferences: PreferencesRepository


class RollUpUnitOfWork(Transaction, Protocol):
    """The roll-ups, as the scheduled job keeps them current."""

    analytics_rollups: RollUpRepository
