"""Failure handling of generations: the owner's attempt history and mail (F2, F4), and
the admins' recovery (F3): list failed generations, retry one or many, cancel."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from voiceqr.application.generations.lookup import live_generation, owned_generation
from voiceqr.application.generations.ports import GenerationsUnitOfWork
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.shared.audit import record
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor, Permission, require
from voiceqr.domain.generations.failures import (
    CANCELLED_BY_ADMIN,
    AttemptOutcome,
    GenerationAttempt,
    what_to_do,
)
from voiceqr.domain.generations.generation import Failure, Generation, GenerationStatus
from voiceqr.domain.mail.preferences import MailKind
from voiceqr.domain.shared.errors import DomainError, ErrorCategory
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)

EXCERPT_LENGTH = 60


async def notify_final_failure(
    uow: GenerationsUnitOfWork,
    notifications: Notifications,
    generation: Generation,
    *,
    now: datetime,
) -> None:
    """Tell the owner their generation could not be made (F4), as they chose: a mail
    now, a line in tomorrow's digest, an in-app notice, or nothing (the generation's
    page explains either way). Written with `uow`.

    Called in the transaction that moves the generation to `failed`; a retry that is
    merely scheduled sends nothing. Once per generation, ever: a generation retried (by
    an admin) or edited that fails again is on its page already, and twelve failures
    must not make twelve mails. The owner's choice at the first failure stands.
    """
    owner = await uow.users.get(generation.owner_id)
    if owner is None:
        return
    if not await uow.generations.note_failure_notified(generation.id, at=now):
        log.info(
            "generation failure already notified",
            extra={"step": "notify", "generation_id": str(generation.id)},
        )
        return
    text = " ".join(generation.text.split())
    excerpt = text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"
    notified = await notifications.notify(
        uow,
        owner,
        MailKind.GENERATION_FAILED,
        path=f"/generations/{generation.id}",
        notice=f'We could not make the audio for "{excerpt}".',
        excerpt=excerpt,
        reason=generation.error_message or "",
        advice=what_to_do(generation.error_category),
    )
    log.info(
        "generation failure notified",
        extra={
            "step": "notify",
            "generation_id": str(generation.id),
            "attempt": generation.attempts,
            "category": str(generation.error_category),
            "mailed": notified.mailed,
            "digest": notified.kept_for_digest,
            "notice": notified.noticed,
        },
    )


async def open_attempt(uow: GenerationsUnitOfWork, generation: Generation, *, now: datetime) -> int:
    """Start the next attempt in the generation's history, for the attempt it was just
    claimed for; returns its number there (never used twice, unlike `attempts`)."""
    number = len(await uow.generation_attempts.list_for(generation.id)) + 1
    await uow.generation_attempts.add(
        GenerationAttempt(
            id=uuid7(),
            generation_id=generation.id,
            number=number,
            started_at=now,
            revision=generation.revision,
        )
    )
    return number


async def close_running_attempt(
    uow: GenerationsUnitOfWork, generation: Generation, outcome: AttemptOutcome, *, now: datetime
) -> None:
    """Finish the generation's open attempt with the generation's current error, if any."""
    attempt = await uow.generation_attempts.running(generation.id)
    if attempt is None:
        return
    attempt.finish(outcome, now=now, failure=_failure_of(generation))
    await uow.generation_attempts.update(attempt)


def _failure_of(generation: Generation) -> Failure | None:
    if generation.error_category is None or generation.error_code is None:
        return None
    return Failure(
        category=generation.error_category,
        code=generation.error_code,
        message=generation.error_message or "",
        retryable=False,
        detail=generation.error_detail,
    )


@dataclass(frozen=True, slots=True)
class GenerationDetail:
    """A generation with its attempt history, for admins (technical detail included)."""

    generation: Generation
    attempts: list[GenerationAttempt]


@dataclass(slots=True)
class RetryReport:
    """What a retry of many generations did: the ids requeued, and why others were not."""

    retried: list[UUID] = field(default_factory=list)
    skipped: dict[UUID, DomainError] = field(default_factory=dict)


# A module-level name: inside GenerationFailures, `list` is its own method, and the
# field's annotation is evaluated there (Litestar reads the platform's types with msgspec).
HandToQueue = Callable[[list[UUID]], Awaitable[int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationFailures:
    """The owner's view of failed attempts and the admins' recovery tools.

    Staff use cases take the actor (a staff member, or OPERATOR at the terminal, who
    already holds the database credentials) and need a permission to read or recover.
    """

    uow: Callable[[], GenerationsUnitOfWork]
    notifications: Notifications
    hand_to_queue: HandToQueue
    clock: Callable[[], datetime]

    async def attempts_for_owner(self, owner: User, generation_id: UUID) -> list[GenerationAttempt]:
        """The attempt history of the owner's generation, oldest first (another owner's: NotFound).

        The technical detail is for admins; the caller shows the owner the rest.
        """
        async with self.uow() as uow:
            await owned_generation(uow, generation_id, owner.id)
            return await uow.generation_attempts.list_for(generation_id)

    async def list(
        self,
        actor: Actor,
        *,
        status: GenerationStatus | None = GenerationStatus.FAILED,
        category: ErrorCategory | None = None,
        limit: int = 50,
        owner_id: UUID | None = None,
    ) -> list[Generation]:
        """Every owner's generations in `status` (failed by default), or one owner's
        (a user's page links there), latest change first."""
        require(actor, Permission.READ_FAILED_GENERATIONS)
        async with self.uow() as uow:
            return await uow.generations.list_for_admin(
                status=status, category=category, limit=limit, owner_id=owner_id
            )

    async def owner_emails(self, actor: Actor, owner_ids: Iterable[UUID]) -> dict[UUID, str]:
        """The email of each owner among `owner_ids`, so an admin can tell whose
        generations failed (an owner whose account is gone is left out)."""
        require(actor, Permission.READ_FAILED_GENERATIONS)
        async with self.uow() as uow:
            owners = [await uow.users.get(owner_id) for owner_id in set(owner_ids)]
        return {owner.id: owner.email for owner in owners if owner is not None}

    async def detail(self, actor: Actor, generation_id: UUID) -> GenerationDetail:
        """One generation of any owner with its attempts, technical detail included."""
        require(actor, Permission.READ_FAILED_GENERATIONS)
        async with self.uow() as uow:
            generation = await live_generation(uow, generation_id)
            return GenerationDetail(
                generation, await uow.generation_attempts.list_for(generation_id)
            )

    async def retry(self, actor: Actor, generation_id: UUID, *, ip: str = "") -> Generation:
        """A failed generation goes back to pending with a new attempt budget, and is
        handed to the queue after the commit. Anything but failed: Conflict (409)."""
        report = await self.retry_many(actor, [generation_id], ip=ip)
        if generation_id in report.skipped:
            raise report.skipped[generation_id]
        async with self.uow() as uow:
            return await live_generation(uow, generation_id)

    async def retry_many(
        self, actor: Actor, generation_ids: Sequence[UUID], *, ip: str = ""
    ) -> RetryReport:
        """Retry each failed generation of `generation_ids`; the others are reported skipped.

        Each retry is written to the audit log in the same transaction."""
        require(actor, Permission.RECOVER_GENERATIONS)
        report = RetryReport()
        async with self.uow() as uow:
            now = self.clock()
            for generation_id in dict.fromkeys(generation_ids):
                try:
                    generation = await live_generation(uow, generation_id)
                    failure = f"{generation.error_category}/{generation.error_code}"
                    generation.retry(now)
                    await uow.generations.update(generation)
                except DomainError as exc:
                    report.skipped[generation_id] = exc
                    continue
                report.retried.append(generation_id)
                await record(
                    uow,
                    actor,
                    "generation.retry",
                    target=("generation", generation_id),
                    now=now,
                    ip=ip,
                    details={"owner_id": str(generation.owner_id), "failure": failure},
                )
                log.info(
                    "generation retried by admin",
                    extra={"generation_id": str(generation_id), **_who(actor)},
                )
            await uow.commit()
        await self.hand_to_queue(report.retried)
        return report

    async def cancel(self, actor: Actor, generation_id: UUID, *, ip: str = "") -> Generation:
        """Stop a pending or processing generation for good: it fails with category system,
        code `cancelled_by_admin`, and the owner is mailed like for any final failure.
        A finished one: Conflict (409)."""
        require(actor, Permission.RECOVER_GENERATIONS)
        async with self.uow() as uow:
            generation = await live_generation(uow, generation_id)
            now = self.clock()
            generation.cancel(CANCELLED_BY_ADMIN, now=now)
            await uow.generations.update(generation)
            await close_running_attempt(uow, generation, AttemptOutcome.CANCELLED, now=now)
            await notify_final_failure(uow, self.notifications, generation, now=now)
            await record(
                uow,
                actor,
                "generation.cancel",
                target=("generation", generation_id),
                now=now,
                ip=ip,
                details={"owner_id": str(generation.owner_id)},
            )
            await uow.commit()
        log.info(
            "generation cancelled by admin",
            extra={
                "generation_id": str(generation_id),
                "attempt": generation.attempts,
                "category": str(generation.error_category),
                **_who(actor),
            },
        )
        return generation


def _who(actor: Actor) -> dict[str, str]:
    return {"admin_id": actor.actor_label if actor.id is None else str(actor.id)}
