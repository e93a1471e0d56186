"""The owner's side of moderation: the decision on their generation, told on its
page, and their one appeal against it (which puts the item back in the queue)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.moderation.decisions import owner_wording
from voiceqr.application.moderation.ports import ModerationUnitOfWork
from voiceqr.application.shared.signed_links import SignedLinks
from voiceqr.domain.accounts.users import User
from voiceqr.domain.moderation.cases import Appeal, Decision, DecisionKind, ModerationState
from voiceqr.domain.shared.errors import Conflict, NotFound, ValidationError
from voiceqr.domain.shared.ids import uuid7
from voiceqr.domain.shared.text import refuse_control_characters

MAX_APPEAL = 2000
# Decisions an owner may appeal: the ones that took something from them.
APPEALABLE = frozenset({DecisionKind.QUARANTINE, DecisionKind.DELETE, DecisionKind.BAN_OWNER})


@dataclass(frozen=True, slots=True)
class OwnerNotice:
    """What the owner is told on the generation's page."""

    decision: Decision
    wording: str
    withheld: bool  # the code does not play now
    appeal: Appeal | None
    may_appeal: bool


def _check_message(message: str) -> str:
    message = message.strip()
    if not message:
        raise ValidationError("Say why the decision should be changed.", code="empty_appeal")
    if len(message) > MAX_APPEAL:
        raise ValidationError(
            f"Keep the appeal under {MAX_APPEAL} characters.", code="appeal_too_long"
        )
    return refuse_control_characters(message, what="The appeal", multiline=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationNotices:
    uow: Callable[[], ModerationUnitOfWork]
    clock: Callable[[], datetime]
    appeal_links: SignedLinks

    async def for_link(self, token: str) -> OwnerNotice:
        """The decision a banned owner's mailed link names, with their appeal; NotFound
        for a link we did not sign."""
        async with self.uow() as uow:
            return await _linked_notice(uow, self.appeal_links, token)

    async def appeal_by_link(self, token: str, message: str) -> Appeal:
        """A banned owner's one appeal, made from the link in the mail that told them
        (they cannot sign in); the item goes back to the moderators' queue."""
        message = _check_message(message)
        async with self.uow() as uow:
            notice = await _linked_notice(uow, self.appeal_links, token)
            owner = await uow.users.get(notice.decision.owner_id)
            if owner is None:
                raise _unknown_link()
        return await self.appeal(owner, notice.decision.generation_id, message)

    async def for_generation(self, owner: User, generation_id: UUID) -> OwnerNotice | None:
        """The latest decision on the owner's generation that changed something for
        them, with their appeal; None when there is none (or it is not theirs)."""
        async with self.uow() as uow:
            return await _notice(uow, owner, generation_id)

    async def appeal(self, owner: User, generation_id: UUID, message: str) -> Appeal:
        """Appeal the decision on the owner's generation, once; the item goes back to
        the moderators' queue with the message."""
        message = _check_message(message)
        now = self.clock()
        async with self.uow() as uow:
            notice = await _notice(uow, owner, generation_id)
            if notice is None:
                raise NotFound("There is no decision to appeal here.", code="nothing_to_appeal")
            if not notice.may_appeal:
                raise Conflict("This decision was appealed already.", code="appealed_already")
            appeal = Appeal(
                id=uuid7(),
                decision_id=notice.decision.id,
                generation_id=generation_id,
                owner_id=owner.id,
                message=message,
                created_at=now,
            )
            await uow.moderation_appeals.add(appeal)
            case = await uow.moderation_cases.get(generation_id)
            if case is not None:
                case.appealed(now)
                await uow.moderation_cases.update(case)
            await uow.commit()
        return appeal


def _unknown_link() -> NotFound:
    return NotFound("This appeal link is not one of ours.", code="unknown_appeal_link")


async def _linked_notice(uow: ModerationUnitOfWork, links: SignedLinks, token: str) -> OwnerNotice:
    payload = links.read(token)
    if payload is None or len(payload) != 16:
        raise _unknown_link()
    decision = await uow.moderation_decisions.get(UUID(bytes=payload))
    owner = None if decision is None else await uow.users.get(decision.owner_id)
    if decision is None or owner is None:
        raise _unknown_link()
    notice = await _notice(uow, owner, decision.generation_id)
    if notice is None or notice.decision.id != decision.id:
        # A later decision replaced it (a reversal): the newer one is what stands.
        raise NotFound(
            "This decision was changed since: sign in to see where things stand.",
            code="decision_replaced",
        )
    return notice


async def _notice(
    uow: ModerationUnitOfWork, owner: User, generation_id: UUID
) -> OwnerNotice | None:
    generation = await uow.generations.get(generation_id)
    if generation is None or generation.owner_id != owner.id:
        return None  # another owner's generation tells nothing
    case = await uow.moderation_cases.get(generation_id)
    if case is None or case.last_decision_id is None:
        return None
    decision = await uow.moderation_decisions.get(case.last_decision_id)
    if decision is None or decision.kind in (DecisionKind.DISMISS, DecisionKind.REVIEWED_FINE):
        return None
    appeal = next(
        (
            a
            for a in await uow.moderation_appeals.for_generation(generation_id)
            if a.decision_id == decision.id
        ),
        None,
    )
    if decision.generation_id != generation_id and appeal is None:
        # A code quarantined by its owner's ban: the appeal is made against the ban.
        appeal = next(
            (
                a
                for a in await uow.moderation_appeals.for_generation(decision.generation_id)
                if a.decision_id == decision.id
            ),
            None,
        )
    return OwnerNotice(
        decision=decision,
        wording=owner_wording(decision),
        withheld=case.state in (ModerationState.QUARANTINED, ModerationState.REMOVED),
        appeal=appeal,
        may_appeal=decision.kind in APPEALABLE and appeal is None,
    )
