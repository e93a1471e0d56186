"""What screening a text decided: whether it is held for review, and the automatic
flags (from the text filter or a rule) that go with the generation made from it.
A blocked text never gets this far: it is refused with `text_not_allowed`."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from voiceqr.domain.moderation.flags import FlagSource, ReasonCode


@dataclass(frozen=True, slots=True)
class AutomaticFlag:
    """A flag the filter or a rule raises; `rule_id` names the rule (rule flags only)."""

    source: FlagSource
    reason: ReasonCode
    note: str
    rule_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class Screened:
    held: bool = False
    flags: tuple[AutomaticFlag, ...] = ()
