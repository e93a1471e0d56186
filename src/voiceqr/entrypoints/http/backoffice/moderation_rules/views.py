"""One presenter for moderation automation, feeding the JSON API and the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from voiceqr.application.moderation.filters import TermInput
from voiceqr.application.moderation.rules import DryRun, RuleInput
from voiceqr.domain.moderation.flags import MAX_REASON
from voiceqr.domain.moderation.rules import FlaggingRule, MadeText
from voiceqr.domain.moderation.text_filter import MAX_TERM_LENGTH, FilterTerm
from voiceqr.entrypoints.http.kit.schemas import Body, one_line

Reason = Annotated[str, one_line(MAX_REASON)]
Word = Annotated[str, one_line(60)]


class RuleOut(msgspec.Struct):
    id: UUID
    name: str
    kind: str
    parameters: dict[str, int | list[str]]
    severity: int
    enabled: bool
    reason_code: str
    description: str
    created_at: datetime
    updated_at: datetime


class RuleList(msgspec.Struct):
    rules: list[RuleOut]


class RuleIn(Body):
    name: Word
    kind: Word  # checked by the use case: an unknown kind is a 422 naming the kinds
    parameters: dict[str, int | list[Annotated[str, one_line(MAX_TERM_LENGTH)]]] = {}
    severity: int = 1
    enabled: bool = False
    reason_code: Word = "spam"

    def input(self) -> RuleInput:
        return RuleInput(
            name=self.name,
            kind=self.kind,
            parameters=self.parameters,
            severity=self.severity,
            enabled=self.enabled,
            reason_code=self.reason_code,
        )


class RulesIn(Body):
    reason: Reason
    rules: list[RuleIn]


class WouldFlagOut(msgspec.Struct):
    generation_id: UUID
    owner_id: UUID
    created_at: datetime
    text: str
    why: str


class DryRunOut(msgspec.Struct):
    rule: RuleOut
    examined: int
    would_flag_count: int
    would_flag: list[WouldFlagOut]


class TermOut(msgspec.Struct):
    kind: str
    text: str
    action: str
    reason_code: str


class TermList(msgspec.Struct):
    terms: list[TermOut]


class TermIn(Body):
    kind: Word  # term or domain
    text: Annotated[str, one_line(MAX_TERM_LENGTH)]
    action: Word  # block, hold, flag or allow
    reason_code: Word = "other"

    def input(self) -> TermInput:
        return TermInput(
            kind=self.kind, text=self.text, action=self.action, reason=self.reason_code
        )


class TermsIn(Body):
    reason: Reason
    terms: list[TermIn]


class HeldOut(msgspec.Struct):
    generation_id: UUID
    owner_id: UUID
    text: str
    created_at: datetime


class HeldList(msgspec.Struct):
    items: list[HeldOut]


class ReasonIn(Body):
    reason: Reason


def rule_out(rule: FlaggingRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        name=rule.name,
        kind=str(rule.kind),
        parameters={
            name: list(value) if isinstance(value, tuple) else value
            for name, value in rule.parameters.items()
        },
        severity=rule.severity,
        enabled=rule.enabled,
        reason_code=str(rule.reason),
        description=rule.describe(),
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def dry_run_out(tried: DryRun) -> DryRunOut:
    return DryRunOut(
        rule=rule_out(tried.rule),
        examined=tried.examined,
        would_flag_count=len(tried.would_flag),
        would_flag=[
            WouldFlagOut(h.generation_id, h.owner_id, h.created_at, h.text, h.why)
            for h in tried.would_flag
        ],
    )


def term_out(term: FilterTerm) -> TermOut:
    return TermOut(
        kind=str(term.kind), text=term.text, action=str(term.action), reason_code=str(term.reason)
    )


def held_out(made: MadeText) -> HeldOut:
    return HeldOut(made.generation_id, made.owner_id, made.text, made.created_at)
