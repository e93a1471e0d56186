"""Moderation's automation on SQLAlchemy Core: the staff's filter terms, the flagging
rules, and the texts generations were made with as the rules read them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC, JsonB
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    RowMapping,
    Select,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from voiceqr.adapters.database.accounts import users
from voiceqr.adapters.database.generations import generations
from voiceqr.adapters.database.shared import Part, Repository, metadata, row_of
from voiceqr.application.moderation.automation_ports import (
    FilterTermRepository,
    FlaggingRuleRepository,
    MadeTexts,
)
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.rules import FlaggingRule, MadeText, RuleKind
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind
from voiceqr.domain.shared.errors import Conflict

STAFF = "staff"

filter_terms = Table(
    "moderation_filter_terms",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("text", String(200), primary_key=True),
    Column("action", String(20), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
)

flagging_rules = Table(
    "moderation_rules",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("parameters", JsonB, nullable=False),
    Column("severity", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("reason", String(30), nullable=False),
    Column("created_at", DateTimeUTC, nullable=False),
    Column("updated_at", DateTimeUTC, nullable=False),
    UniqueConstraint("name"),
)


def _term(row: RowMapping) -> FilterTerm:
    return FilterTerm(
        kind=TermKind(row["kind"]),
        text=row["text"],
        action=FilterAction(row["action"]),
        reason=ReasonCode(row["reason"]),
        source=STAFF,
    )


def _rule(row: RowMapping) -> FlaggingRule:
    values = dict(row)
    values["kind"] = RuleKind(values["kind"])
    values["reason"] = ReasonCode(values["reason"])
    values["parameters"] = {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in values["parameters"].items()
    }
    return FlaggingRule(**values)


def _rule_row(rule: FlaggingRule) -> dict[str, Any]:
    row = row_of(flagging_rules, rule)
    row["kind"], row["reason"] = str(rule.kind), str(rule.reason)
    row["parameters"] = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in rule.parameters.items()
    }
    return row


class SqlFilterTerms(Repository):
    async def list_all(self) -> list[FilterTerm]:
        c = filter_terms.c
        return [
            _term(row) for row in await self._rows(select(filter_terms).order_by(c.kind, c.text))
        ]

    async def replace_all(self, terms: Sequence[FilterTerm], *, now: datetime) -> None:
        await self._db.execute(delete(filter_terms))
        if terms:
            await self._db.execute(
                insert(filter_terms),
                [
                    {
                        "kind": str(t.kind),
                        "text": t.text,
                        "action": str(t.action),
                        "reason": str(t.reason),
                        "updated_at": now,
                    }
                    for t in terms
                ],
            )


class SqlFlaggingRules(Repository):
    async def list_all(self) -> list[FlaggingRule]:
        query = select(flagging_rules).order_by(flagging_rules.c.name)
        return [_rule(row) for row in await self._rows(query)]

    async def get(self, rule_id: UUID) -> FlaggingRule | None:
        row = await self._first(select(flagging_rules).where(flagging_rules.c.id == rule_id))
        return None if row is None else _rule(row)

    async def get_by_name(self, name: str) -> FlaggingRule | None:
        row = await self._first(select(flagging_rules).where(flagging_rules.c.name == name))
        return None if row is None else _rule(row)

    async def add(self, rule: FlaggingRule) -> None:
        await self._unique(
            insert(flagging_rules).values(_rule_row(rule)),
            Conflict(f"There is a rule named {rule.name} already.", code="rule_exists"),
        )

    async def update(self, rule: FlaggingRule) -> None:
        await self._unique(
            update(flagging_rules).where(flagging_rules.c.id == rule.id).values(_rule_row(rule)),
            Conflict(f"There is a rule named {rule.name} already.", code="rule_exists"),
        )

    async def delete(self, rule_id: UUID) -> None:
        await self._db.execute(delete(flagging_rules).where(flagging_rules.c.id == rule_id))


def _made_texts() -> Select[Any]:
    g = generations.c
    return select(
        g.id.label("generation_id"),
        g.owner_id,
        g.text,
        g.created_at,
        users.c.created_at.label("owner_since"),
    ).join(users, users.c.id == g.owner_id)


class SqlMadeTexts(Repository):
    async def latest(self, limit: int) -> list[MadeText]:
        g = generations.c
        query = _made_texts().order_by(g.created_at.desc(), g.id.desc()).limit(limit)
        return [MadeText(**row) for row in await self._rows(query)]

    async def made_between(
        self, since: datetime, until: datetime, *, limit: int, owner_id: UUID | None = None
    ) -> list[MadeText]:
        g = generations.c
        query = _made_texts().where(g.created_at > since, g.created_at <= until)
        if owner_id is not None:
            query = query.where(g.owner_id == owner_id)
        query = query.order_by(g.created_at.desc(), g.id.desc()).limit(limit)
        return [MadeText(**row) for row in await self._rows(query)]

    async def held(self, limit: int) -> list[MadeText]:
        g = generations.c
        query = (
            _made_texts()
            .where(g.status == str(GenerationStatus.PENDING_REVIEW), g.deleted_at.is_(None))
            .order_by(g.updated_at, g.id)
            .limit(limit)
        )
        return [MadeText(**row) for row in await self._rows(query)]


class ModerationAutomationPart(Part):
    """Moderation automation's share of the unit of work."""

    filter_terms: FilterTermRepository
    flagging_rules: FlaggingRuleRepository
    made_texts: MadeTexts

    def attach(self, connection: AsyncConnection) -> None:
        self.filter_terms = SqlFilterTerms(connection)
        self.flagging_rules = SqlFlaggingRules(connection)
        self.made_texts = SqlMadeTexts(connection)
        super().attach(connection)
