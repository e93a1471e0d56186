"""Automated flagging rules, as admins edit and try them.

The whole set is read and replaced (`GET|PUT /api/v1/admin/moderation/rules`: a rule
is known by its name, so a replaced rule keeps its id and the flags that name it);
one rule can be saved, turned on or off (the CLI), and tried against the last
generations without writing anything ("would have flagged 12"). Every change is
audited with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from voiceqr.application.moderation.automation_ports import AutomationUnitOfWork
from voiceqr.application.moderation.screening import RULE_CONTEXT_LIMIT
from voiceqr.application.shared.audit import record
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.moderation.flags import check_reason, reason_code
from voiceqr.domain.moderation.rules import (
    FlaggingRule,
    MadeText,
    RuleKind,
    check_parameters,
    check_severity,
    fires,
    rule_kind,
    rule_name,
)
from voiceqr.domain.shared.errors import NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7

MAX_RULES = 100
DEFAULT_DRY_RUN = 200
MAX_DRY_RUN = 5000


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A rule as an admin sends it; checked by `FlaggingRules`."""

    name: str
    kind: str
    parameters: Mapping[str, object] = field(default_factory=dict)
    severity: int = 1
    enabled: bool = False
    reason_code: str = "spam"


@dataclass(frozen=True, slots=True)
class WouldFlag:
    generation_id: UUID
    owner_id: UUID
    created_at: datetime
    text: str
    why: str


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a rule would have done to the last `examined` generations."""

    rule: FlaggingRule
    examined: int
    would_flag: list[WouldFlag]


def rule_not_found(ref: str) -> NotFound:
    return NotFound(f"There is no rule {ref}.", code="rule_not_found")


@dataclass(frozen=True, slots=True, kw_only=True)
class FlaggingRules:
    uow: Callable[[], AutomationUnitOfWork]
    clock: Callable[[], datetime]

    async def list_all(self, actor: Actor) -> list[FlaggingRule]:
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        async with self.uow() as uow:
            return await uow.flagging_rules.list_all()

    async def get(self, actor: Actor, ref: str) -> FlaggingRule:
        """A rule by name or id."""
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        async with self.uow() as uow:
            return await _find(uow, ref)

    async def replace(
        self, actor: Actor, given: Sequence[RuleInput], *, reason: str, ip: str = ""
    ) -> list[FlaggingRule]:
        """The rules become `given`: same name, same rule (its id kept); a name not
        given any more is deleted. All are checked before anything is written."""
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        reason = check_reason(reason)
        if len(given) > MAX_RULES:
            raise ValidationError(f"Keep to {MAX_RULES} rules.", code="too_many_rules")
        now = self.clock()
        wanted = [_checked(rule, now) for rule in given]
        names = [r.name for r in wanted]
        if len(set(names)) != len(names):
            raise ValidationError("Give each rule its own name.", code="duplicate_rule_name")
        async with self.uow() as uow:
            existing = {r.name: r for r in await uow.flagging_rules.list_all()}
            for gone in set(existing) - set(names):
                await uow.flagging_rules.delete(existing[gone].id)
            saved = [await _save(uow, rule, existing.get(rule.name)) for rule in wanted]
            await record(
                uow,
                actor,
                "moderation.rules.replace",
                target=("moderation_rules", "all"),
                now=now,
                ip=ip,
                details={
                    "reason": reason,
                    "rules": names,
                    "removed": sorted(set(existing) - set(names)),
                },
            )
            await uow.commit()
        return saved

    async def save(
        self, actor: Actor, given: RuleInput, *, reason: str, ip: str = ""
    ) -> FlaggingRule:
        """Add the rule, or change the one with its name."""
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        reason = check_reason(reason)
        now = self.clock()
        rule = _checked(given, now)
        async with self.uow() as uow:
            saved = await _save(uow, rule, await uow.flagging_rules.get_by_name(rule.name))
            await _audit(uow, actor, "moderation.rule.save", saved, reason, now, ip)
            await uow.commit()
        return saved

    async def switch(
        self, actor: Actor, ref: str, *, enabled: bool, reason: str, ip: str = ""
    ) -> FlaggingRule:
        """Turn a rule on or off."""
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        reason = check_reason(reason)
        now = self.clock()
        async with self.uow() as uow:
            rule = await _find(uow, ref)
            rule.enabled, rule.updated_at = enabled, now
            await uow.flagging_rules.update(rule)
            action = "moderation.rule.enable" if enabled else "moderation.rule.disable"
            await _audit(uow, actor, action, rule, reason, now, ip)
            await uow.commit()
        return rule

    async def dry_run(self, actor: Actor, ref: str, *, last: int = DEFAULT_DRY_RUN) -> DryRun:
        """Try a rule (on or off) against the last `last` generations, each checked
        against the generations made before it, as if it had been on then. Nothing is
        written. A reports rule fires on reports, not on generations: refused."""
        require(actor, Permission.MANAGE_FLAGGING_RULES)
        if not 1 <= last <= MAX_DRY_RUN:
            raise ValidationError(
                f"Try a rule on 1 to {MAX_DRY_RUN} generations.", code="bad_limit"
            )
        async with self.uow() as uow:
            rule = await _find(uow, ref)
            if rule.kind is RuleKind.REPORTS:
                raise ValidationError(
                    "A reports rule fires when a code is reported; it cannot be tried "
                    "against generations.",
                    code="rule_not_triable",
                )
            latest = await uow.made_texts.latest(last)
            context: list[MadeText] = []
            if latest and rule.lookback:
                context = await uow.made_texts.made_between(
                    latest[-1].created_at - rule.lookback,
                    latest[0].created_at,
                    limit=RULE_CONTEXT_LIMIT + last,
                )
        hits = [
            WouldFlag(m.generation_id, m.owner_id, m.created_at, m.text, why)
            for m in latest
            if (why := fires(rule, m, context)) is not None
        ]
        return DryRun(rule=rule, examined=len(latest), would_flag=hits)


def _checked(given: RuleInput, now: datetime) -> FlaggingRule:
    kind = rule_kind(given.kind)
    return FlaggingRule(
        id=uuid7(),
        name=rule_name(given.name),
        kind=kind,
        parameters=check_parameters(kind, given.parameters),
        severity=check_severity(given.severity),
        enabled=bool(given.enabled),
        reason=reason_code(given.reason_code),
        created_at=now,
        updated_at=now,
    )


async def _save(
    uow: AutomationUnitOfWork, rule: FlaggingRule, existing: FlaggingRule | None
) -> FlaggingRule:
    if existing is None:
        await uow.flagging_rules.add(rule)
        return rule
    rule.id, rule.created_at = existing.id, existing.created_at
    await uow.flagging_rules.update(rule)
    return rule


async def _find(uow: AutomationUnitOfWork, ref: str) -> FlaggingRule:
    try:
        rule = await uow.flagging_rules.get(UUID(ref))
    except ValueError:
        rule = await uow.flagging_rules.get_by_name(ref.strip().lower())
    if rule is None:
        raise rule_not_found(ref)
    return rule


async def _audit(
    uow: AutomationUnitOfWork,
    actor: Actor,
    action: str,
    rule: FlaggingRule,
    reason: str,
    now: datetime,
    ip: str,
) -> None:
    await record(
        uow,
        actor,
        action,
        target=("moderation_rule", rule.id),
        now=now,
        ip=ip,
        details={"reason": reason, "name": rule.name, "enabled": rule.enabled},
    )
