"""Raising flags: by staff from the moderation pages, and automatically (text filters
and rules) inside the transaction of the generation they are about.

A flag opens the generation's case, or joins it; the case waits in the queue unless it
is quarantined or removed already, or was reviewed fine at this text revision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.moderation.ports import AutomaticFlagsUnitOfWork, ModerationUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.domain.authz import Actor
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.moderation.cases import ModerationCase, may_decide
from voiceqr.domain.moderation.flags import Flag, FlagSource, ReasonCode
from voiceqr.domain.shared.errors import NotFound, ValidationError

log = logging.getLogger(__name__)


def generation_not_found() -> NotFound:
    return NotFound("No such generation.", code="generation_not_found")


async def case_of(
    uow: AutomaticFlagsUnitOfWork, generation: Generation, now: datetime
) -> ModerationCase:
    """The generation's case, opened (and added to `uow`) if it has none yet."""
    case = await uow.moderation_cases.get(generation.id)
    if case is None:
        case = ModerationCase.open_for(generation.id, generation.owner_id, now)
        await uow.moderation_cases.add(case)
    return case


async def add_flag(
    uow: AutomaticFlagsUnitOfWork, generation: Generation, flag: Flag, now: datetime
) -> ModerationCase:
    """Record `flag` and put the generation's case in the queue if it should be."""
    await uow.flags.add(flag)
    case = await case_of(uow, generation, now)
    case.flagged(now, revision=generation.revision)
    await uow.moderation_cases.update(case)
    return case


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationFlags:
    uow: Callable[[], ModerationUnitOfWork]
    clock: Callable[[], datetime]

    async def flag_automatically(
        self,
        uow: AutomaticFlagsUnitOfWork,
        generation_id: UUID,
        source: FlagSource,
        reason: ReasonCode,
        rule_id: UUID | None = None,
        note: str = "",
    ) -> Flag:
        """Flag a generation from a text filter (`FlagSource.FILTER`, no rule) or an
        automated rule (`FlagSource.RULE` with its `rule_id`), in the caller's open unit
        of work: it is saved when the caller commits, with the change that caused it.

        The generation must be in `uow` already (added or read). Nothing is audited:
        no person acted; the flag itself names its source and rule.
        """
        if source not in (FlagSource.FILTER, FlagSource.RULE):
            raise ValidationError(
                "Automatic flags come from a filter or a rule.", code="bad_flag_source"
            )
        generation = await uow.generations.get(generation_id)
        if generation is None:
            raise generation_not_found()
        now = self.clock()
        flag = Flag.new(
            generation_id=generation_id,
            source=source,
            reason=reason,
            note=note,
            rule_id=rule_id,
            now=now,
        )
        await add_flag(uow, generation, flag, now)
        log.info(
            "generation flagged automatically",
            extra={
                "generation_id": str(generation_id),
                "source": str(source),
                "reason": str(reason),
            },
        )
        return flag

    async def flag(
        self,
        actor: Actor,
        generation_id: UUID,
        reason: ReasonCode,
        *,
        note: str = "",
        ip: str = "",
    ) -> Flag:
        """A moderator flags a generation by hand (audited)."""
        may_decide(actor)
        now = self.clock()
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None or generation.is_deleted:
                raise generation_not_found()
            flag = Flag.new(
                generation_id=generation_id,
                source=FlagSource.STAFF,
                reason=reason,
                note=note,
                created_by=actor.id,
                now=now,
            )
            await add_flag(uow, generation, flag, now)
            await record(
                uow,
                actor,
                "moderation.flag",
                target=("generation", generation_id),
                now=now,
                ip=ip,
                details={"reason": str(reason), "owner_id": str(generation.owner_id)},
            )
            await uow.commit()
        return flag
