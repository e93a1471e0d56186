"""What the dashboards count, and how counts are added up.

Raw scan and listen events are rolled up per code, per UTC day and per dimension (a
country, a device class...) into tallies. A tally counts only what a person did (new
visits, no bots, not the owner's own views); it says apart how many bot hits were left
out. Unique visitors are counted per code and per day: a visitor key is made with a
salt of the day and cannot be followed from one day to the next (by design), so the
visitors of a range are the sum of each day's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class Dimension(StrEnum):
    TOTAL = "total"  # one tally per code and day, value ""
    HOUR = "hour"  # the UTC hour of the day, "00" to "23": the heatmap and local days
    COUNTRY = "country"
    DEVICE = "device"
    OS = "os"
    BROWSER = "browser"
    SOURCE = "source"
    PLACEMENT = "placement"
    REFERRER = "referrer"
    LANGUAGE = "language"


# What an owner may break their scans down by.
BREAKDOWNS = (
    Dimension.COUNTRY,
    Dimension.DEVICE,
    Dimension.OS,
    Dimension.BROWSER,
    Dimension.SOURCE,
    Dimension.PLACEMENT,
    Dimension.REFERRER,
    Dimension.LANGUAGE,
)


@dataclass(frozen=True, slots=True)
class Counts:
    scans: int = 0
    listens: int = 0
    visitors: int = 0
    bots_left_out: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.scans + other.scans,
            self.listens + other.listens,
            self.visitors + other.visitors,
            self.bots_left_out + other.bots_left_out,
        )

    @property
    def empty(self) -> bool:
        return not (self.scans or self.listens or self.visitors or self.bots_left_out)


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts of one value of a dimension; `day` is None when summed over days."""

    value: str
    counts: Counts
    day: date | None = None


@dataclass(frozen=True, slots=True)
class CodeTally:
    """The counts of one code over a range."""

    generation_id: UUID
    counts: Counts


def summed(tallies: Iterable[Tally]) -> dict[str, Counts]:
    """The counts of each value, over all days."""
    total: dict[str, Counts] = {}
    for tally in tallies:
        total[tally.value] = total.get(tally.value, Counts()) + tally.counts
    return total


def ranked(by_value: dict[str, Counts]) -> list[tuple[str, Counts]]:
    """Most scans first, then most listens, then by value (a stable order)."""
    return sorted(by_value.items(), key=lambda item: (-item[1].scans, -item[1].listens, item[0]))
