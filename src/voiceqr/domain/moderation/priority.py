"""How urgent a queue item is: a score from 0 to 100, computed from its evidence.

- each report counts by its category (a threat outweighs spam) and by its reporter's
  record: a reporter whose earlier reports were mostly upheld counts up to twice as
  much as one whose reports were mostly rejected, and a newcomer in between;
- each automatic or staff flag counts by its category and source (a rule carries the
  severity its author gave it);
- a code scanned often reaches more people: scans add a little, growing slowly.

The raw sum is squashed into [0, 100) so the score is bounded, and it only grows with
more evidence: more reports, heavier categories, better reporters, more scans.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from voiceqr.domain.moderation.flags import FlagSource, ReasonCode

MAX_SCORE = 100.0
_SCALE = 12.0  # the raw weight at which the score reaches about 63

CATEGORY_WEIGHT = {
    ReasonCode.VIOLENCE: 3.0,
    ReasonCode.HATE: 3.0,
    ReasonCode.SEXUAL: 2.5,
    ReasonCode.PERSONAL_DATA: 2.5,
    ReasonCode.HARASSMENT: 2.0,
    ReasonCode.COPYRIGHT: 1.5,
    ReasonCode.SPAM: 1.0,
    ReasonCode.OTHER: 1.0,
}
SOURCE_WEIGHT = {
    FlagSource.STAFF: 2.0,  # a moderator already looked and thought it worth a look
    FlagSource.FILTER: 1.5,
    FlagSource.RULE: 1.0,  # times the rule's own severity
    FlagSource.REPORT: 1.0,
}


@dataclass(frozen=True, slots=True)
class ReportWeight:
    """One report: its category, and how its reporter's earlier reports ended."""

    reason: ReasonCode
    upheld: int = 0
    answered: int = 0

    @property
    def trust(self) -> float:
        """0.5 to 1.5: the reporter's upheld share, smoothed towards 1 for newcomers
        (Laplace: one upheld and one rejected report assumed)."""
        return 0.5 + (self.upheld + 1) / (self.answered + 2)


@dataclass(frozen=True, slots=True)
class FlagWeight:
    reason: ReasonCode
    source: FlagSource
    severity: float = 1.0  # a rule's severity (1 for other flags), 0 to 10


def raw_weight(reports: Iterable[ReportWeight], flags: Iterable[FlagWeight], scans: int) -> float:
    total = sum(CATEGORY_WEIGHT[r.reason] * r.trust for r in reports)
    total += sum(
        CATEGORY_WEIGHT[f.reason] * SOURCE_WEIGHT[f.source] * min(max(f.severity, 0.0), 10.0)
        for f in flags
    )
    return total + math.log1p(max(scans, 0)) / 2


def priority(
    reports: Iterable[ReportWeight], flags: Iterable[FlagWeight] = (), scans: int = 0
) -> float:
    """The item's score in [0, 100), rounded to one decimal."""
    raw = raw_weight(reports, flags, scans)
    return round(MAX_SCORE * (1 - math.exp(-raw / _SCALE)), 1)
