"""What screening a text decided: whether it is held for review, and the automatic
flags (from the text filter or a rule) that go with the generation made from it.
A blocked text never gets this far: it is refused with `text_not_allowed`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.domain.moderation.reasons import FlagSource, ReasonCode


@dataclass(frozen=True, slots=True)
class AutomaticFlag:
    """A flag the filter or a rule raises; `rule_id` names the rule (rule flags only)."""

    generation_id: UUID
    source: FlagSource
    reason: ReasonCode
    note: str
    created_at: datetime
    rule_id: UUID | None = None
    severity: int = 1


@dataclass(frozen=True, slots=True)
class Screened:
    held: bool = False
    flags: tuple[AutomaticFlag, ...] = ()
