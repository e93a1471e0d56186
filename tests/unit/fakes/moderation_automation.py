"""Fake filter terms, flagging rules and made texts of moderation's automation."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from tests.unit.fakes.database import Part, Table
from voiceqr.application.moderation.automation_ports import (
    FilterTermRepository,
    FlaggingRuleRepository,
    MadeTexts,
)
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.moderation.rules import FlaggingRule, MadeText
from voiceqr.domain.moderation.text_filter import FilterTerm
from voiceqr.domain.shared.errors import Conflict


class FakeFilterTerms(Table):
    async def list_all(self) -> list[FilterTerm]:
        return sorted(self._db.filter_terms, key=lambda t: (t.kind, t.text))

    async def replace_all(self, terms: Sequence[FilterTerm], *, now: datetime) -> None:
        self._db.filter_terms = list(terms)
        self._wrote()


class FakeFlaggingRules(Table):
    async def list_all(self) -> list[FlaggingRule]:
        return copy.deepcopy(sorted(self._db.flagging_rules.values(), key=lambda r: r.name))

    async def get(self, rule_id: UUID) -> FlaggingRule | None:
        return copy.deepcopy(self._db.flagging_rules.get(rule_id))

    async def get_by_name(self, name: str) -> FlaggingRule | None:
        found = [r for r in self._db.flagging_rules.values() if r.name == name]
        return copy.deepcopy(found[0]) if found else None

    async def add(self, rule: FlaggingRule) -> None:
        self._refuse_taken_name(rule)
        self._db.flagging_rules[rule.id] = copy.deepcopy(rule)
        self._wrote()

    async def update(self, rule: FlaggingRule) -> None:
        self._refuse_taken_name(rule)
        self._db.flagging_rules[rule.id] = copy.deepcopy(rule)
        self._wrote()

    async def delete(self, rule_id: UUID) -> None:
        self._db.flagging_rules.pop(rule_id, None)
        self._wrote()

    def _refuse_taken_name(self, rule: FlaggingRule) -> None:
        if any(r.name == rule.name and r.id != rule.id for r in self._db.flagging_rules.values()):
            raise Conflict(f"There is a rule named {rule.name} already.", code="rule_exists")


class FakeMadeTexts(Table):
    def _all(self, owner_id: UUID | None = None) -> list[MadeText]:
        made = [
            MadeText(g.id, g.owner_id, g.text, g.created_at, self._db.users[g.owner_id].created_at)
            for g in self._db.generations.values()
            if g.owner_id in self._db.users and (owner_id is None or g.owner_id == owner_id)
        ]
        return sorted(made, key=lambda m: (m.created_at, m.generation_id), reverse=True)

    async def latest(self, limit: int) -> list[MadeText]:
        return self._all()[:limit]

    async def made_between(
        self, since: datetime, until: datetime, *, limit: int, owner_id: UUID | None = None
    ) -> list[MadeText]:
        return [m for m in self._all(owner_id) if since < m.created_at <= until][:limit]

    async def held(self, limit: int) -> list[MadeText]:
        held = {
            g.id: g
            for g in self._db.generations.values()
            if g.status is GenerationStatus.PENDING_REVIEW and not g.is_deleted
        }
        made = [m for m in self._all() if m.generation_id in held]
        return sorted(made, key=lambda m: (held[m.generation_id].updated_at, m.generation_id))[
            :limit
        ]


class ModerationAutomationPart(Part):
    """Moderation automation's fake repositories."""

    filter_terms: FilterTermRepository
    flagging_rules: FlaggingRuleRepository
    made_texts: MadeTexts

    def attach(self) -> None:
        self.filter_terms = FakeFilterTerms(self)
        self.flagging_rules = FakeFlaggingRules(self)
        self.made_texts = FakeMadeTexts(self)
        super().attach()
