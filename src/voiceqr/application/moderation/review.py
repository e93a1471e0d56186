"""Generations the text filter held for review: a moderator approves one (it is made
like any request, now) or rejects it (nothing is made; the owner sees that a
moderator did not approve the text). Both are audited with their reason."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from voiceqr.application.generations.ports import GenerationsUnitOfWork
from voiceqr.application.moderation.automation_ports import AutomationUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.generations.generation import Failure, Generation
from voiceqr.domain.moderation.flags import check_reason
from voiceqr.domain.moderation.rules import MadeText
from voiceqr.domain.shared.errors import ErrorCategory, NotFound

log = logging.getLogger(__name__)

MAX_HELD_PAGE = 200
NOT_APPROVED = Failure(
    category=ErrorCategory.VALIDATION,
    code="text_not_approved",
    message="A moderator did not approve this text, so no audio was made. "
    "Edit the text to try again.",
    retryable=False,
)


class HeldUnitOfWork(AutomationUnitOfWork, GenerationsUnitOfWork, Protocol):
    """The held generations, and the generations themselves to decide on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeldGenerations:
    uow: Callable[[], HeldUnitOfWork]
    clock: Callable[[], datetime]
    hand_to_queue: Callable[[list[UUID]], Awaitable[int]]

    async def waiting(self, actor: Actor, *, limit: int = 50) -> list[MadeText]:
        """The generations waiting for review, longest waiting first."""
        require(actor, Permission.MODERATE_CONTENT)
        async with self.uow() as uow:
            return await uow.made_texts.held(max(1, min(limit, MAX_HELD_PAGE)))

    async def approve(
        self, actor: Actor, generation_id: UUID, *, reason: str, ip: str = ""
    ) -> Generation:
        """Let a held text through: it goes to the queue once this is saved."""
        generation = await self._decide(actor, generation_id, "approve", reason=reason, ip=ip)
        await self.hand_to_queue([generation.id])
        return generation

    async def reject(
        self, actor: Actor, generation_id: UUID, *, reason: str, ip: str = ""
    ) -> Generation:
        """Refuse a held text: no audio is ever made of it."""
        return await self._decide(actor, generation_id, "reject", reason=reason, ip=ip)

    async def _decide(
        self, actor: Actor, generation_id: UUID, decision: str, *, reason: str, ip: str
    ) -> Generation:
        require(actor, Permission.MODERATE_CONTENT)
        reason = check_reason(reason)
        now = self.clock()
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None or generation.is_deleted:
                raise NotFound("No such generation.", code="generation_not_found")
            if decision == "approve":
                generation.approve(now)
            else:
                generation.reject(NOT_APPROVED, now=now)
            await uow.generations.update(generation)
            await record(
                uow,
                actor,
                f"generation.review.{decision}",
                target=("generation", generation_id),
                now=now,
                ip=ip,
                details={"reason": reason, "owner_id": str(generation.owner_id)},
            )
            await uow.commit()
        log.info(
            "held generation decided",
            extra={"generation_id": str(generation_id), "decision": decision},
        )
        return generation
