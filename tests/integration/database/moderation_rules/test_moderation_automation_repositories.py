"""Moderation automation in SQL, the same on SQLite and PostgreSQL: rules keep their
parameters (numbers and domain lists) and unique names, the staff's terms are replaced
whole, and the rules read generations made in a window and those held for review."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.database.rows import NOW, add_generations, add_user, make_generation
from voiceqr.adapters.database.unit_of_work import SqlUnitOfWorkFactory
from voiceqr.domain.generations.generation import GenerationStatus
from voiceqr.domain.moderation.flags import ReasonCode
from voiceqr.domain.moderation.rules import FlaggingRule, RuleKind
from voiceqr.domain.moderation.text_filter import FilterAction, FilterTerm, TermKind
from voiceqr.domain.shared.errors import Conflict
from voiceqr.domain.shared.ids import uuid7


def a_rule(name: str) -> FlaggingRule:
    return FlaggingRule(
        id=uuid7(),
        name=name,
        kind=RuleKind.LISTED_DOMAINS,
        parameters={"domains": ("scam.example", "fraud.example")},
        severity=3,
        enabled=True,
        reason=ReasonCode.SPAM,
        created_at=NOW,
        updated_at=NOW,
    )


async def test_a_rule_keeps_its_parameters_and_its_name_is_unique(
    uows: SqlUnitOfWorkFactory,
) -> None:
    name = f"links-{uuid7().hex[:12]}"
    rule = a_rule(name)
    async with uows() as uow:
        await uow.flagging_rules.add(rule)
        await uow.commit()
    async with uows() as uow:
        assert await uow.flagging_rules.get(rule.id) == rule
        assert await uow.flagging_rules.get_by_name(name) == rule
        with pytest.raises(Conflict):
            await uow.flagging_rules.add(a_rule(name))
    rule.parameters, rule.enabled = {"domains": ("other.example",)}, False
    async with uows() as uow:
        await uow.flagging_rules.update(rule)
        await uow.commit()
    async with uows() as uow:
        assert await uow.flagging_rules.get(rule.id) == rule
        await uow.flagging_rules.delete(rule.id)
        await uow.commit()
    async with uows() as uow:
        assert await uow.flagging_rules.get(rule.id) is None


async def test_the_staffs_terms_are_replaced_whole(uows: SqlUnitOfWorkFactory) -> None:
    terms = [
        FilterTerm(TermKind.DOMAIN, "bad.example", FilterAction.BLOCK, ReasonCode.SPAM, "staff"),
        FilterTerm(
            TermKind.TERM, "claim your prize", FilterAction.ALLOW, ReasonCode.OTHER, "staff"
        ),
    ]
    async with uows() as uow:
        await uow.filter_terms.replace_all(terms, now=NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.filter_terms.list_all() == terms
        await uow.filter_terms.replace_all(terms[1:], now=NOW)
        await uow.commit()
    async with uows() as uow:
        assert await uow.filter_terms.list_all() == terms[1:]


async def test_the_rules_read_generations_in_a_window_and_the_held_ones(
    uows: SqlUnitOfWorkFactory,
) -> None:
    owner = await add_user(uows)
    early = make_generation(owner.id, created_at=NOW - timedelta(hours=2), text="Early")
    late = make_generation(owner.id, created_at=NOW, text="Late")
    held = make_generation(
        owner.id,
        created_at=NOW - timedelta(minutes=1),
        updated_at=NOW,
        status=GenerationStatus.PENDING_REVIEW,
        text="Held",
    )
    await add_generations(uows, early, late, held)
    async with uows() as uow:
        window = await uow.made_texts.made_between(
            NOW - timedelta(hours=1), NOW, limit=10, owner_id=owner.id
        )
        waiting = await uow.made_texts.held(10_000)
    assert [(m.generation_id, m.text, m.owner_since) for m in window] == [
        (late.id, "Late", owner.created_at),
        (held.id, "Held", owner.created_at),
    ]
    assert held.id in [m.generation_id for m in waiting]
    assert late.id not in [m.generation_id for m in waiting]
