"""Decisions on queue items: dismiss, reviewed fine, quarantine, reverse, delete, ban
the owner; one at a time or on many ticked items; and the escalation job.

Each decision is taken with a reason, in one transaction with its audit entry, the
answer to the item's reports (their reporters who left an email are told the outcome)
and the owner's notice. A decision that changes what a code plays makes this process
forget the code at once; other processes follow within the playback cache's bound.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

from voiceqr.application.accounts.ports import SessionStore
from voiceqr.application.mail.notifications import Notifications
from voiceqr.application.moderation.flags import case_of, generation_not_found
from voiceqr.application.moderation.ports import ModerationUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.ports import AudioStorage
from voiceqr.application.shared.signed_links import SignedLinks
from voiceqr.domain.accounts.users import User, UserStatus
from voiceqr.domain.authz import Actor
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.moderation.cases import (
    ACTING_DECISIONS,
    DECISION_LABELS,
    Decision,
    DecisionKind,
    ModerationCase,
    ModerationState,
    ReportOutcome,
    Sanction,
    may_decide,
    may_take,
)
from voiceqr.domain.moderation.flags import REASON_LABELS, ReasonCode, check_reason, reason_code
from voiceqr.domain.shared.errors import DomainError, IllegalTransition, ValidationError

log = logging.getLogger(__name__)

MAX_BULK = 100
# Decisions that change what the public gets from the code.
_CHANGES_PLAYBACK = frozenset(
    {DecisionKind.QUARANTINE, DecisionKind.REVERSE, DecisionKind.DELETE, DecisionKind.BAN_OWNER}
)


def actor_label(actor: Actor) -> str:
    if isinstance(actor, User):
        return actor.name or actor.email
    return "voiceqr moderation"


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """What a moderator decides. `reason_code` names the category for quarantine,
    delete and ban (the transparency counts); a ban needs its `sanction`, a suspension
    its end (`until`)."""

    kind: DecisionKind
    reason: str
    reason_code: ReasonCode | None = None
    sanction: Sanction | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class BanPreview:
    """What banning a generation's owner would do, for the confirmation page."""

    owner_email: str
    codes: int  # their live codes, all quarantined by a ban
    sessions: int  # their active sessions, all ended


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    decided: list[Decision] = field(default_factory=list)
    refused: dict[UUID, str] = field(default_factory=dict)  # generation: why not


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationDecisions:
    uow: Callable[[], ModerationUnitOfWork]
    clock: Callable[[], datetime]
    notifications: Notifications
    storage: AudioStorage
    sessions: SessionStore
    forget: Callable[[str, UUID], None]  # the playback cache of (code, generation)
    appeal_links: SignedLinks  # a banned owner cannot sign in: their mail carries the appeal
    escalate_after: timedelta = timedelta(hours=24)

    async def decide(
        self, actor: Actor, generation_id: UUID, request: DecisionRequest, *, ip: str = ""
    ) -> Decision:
        """Take one decision on the generation's item (see the module's docstring)."""
        may_decide(actor)
        reason = check_reason(request.reason)
        _check_request(request, self.clock())
        keys: list[str] = []
        if request.kind is DecisionKind.DELETE:
            keys = await self._audio_keys(actor, generation_id)
            # Storage first, as an owner's delete does: a failed save can be tried again.
            for key in keys:
                await self.storage.delete(key)
        now = self.clock()
        forget: list[tuple[str, UUID]] = []
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None:
                raise generation_not_found()
            case = await case_of(uow, generation, now)
            decision = case.decide(
                request.kind,
                actor=actor,
                actor_label=actor_label(actor),
                reason=reason,
                reason_code=request.reason_code,
                now=now,
                revision=generation.revision,
                sanction=request.sanction,
                until=request.until,
            )
            if request.kind is DecisionKind.DELETE:
                await _delete_audio(uow, generation, now)
            owner = await uow.users.get(generation.owner_id)
            if request.kind is DecisionKind.BAN_OWNER and owner is not None:
                forget += await self._sanction(uow, owner, decision, now)
                decision = _with_count(decision, len(forget))
            await uow.moderation_decisions.add(decision)
            await uow.moderation_cases.update(case)
            await self._answer_appeal(uow, case, decision, now)
            await self._answer_reports(uow, generation, decision, now)
            if owner is not None:
                await self._tell_owner(uow, owner, generation, decision)
            await record(
                uow,
                actor,
                f"moderation.{request.kind}",
                target=("generation", generation.id),
                now=now,
                ip=ip,
                details=_details(decision, generation),
            )
            await uow.commit()
        if request.kind is DecisionKind.BAN_OWNER and request.sanction is not Sanction.WARN:
            await self.sessions.delete_for_user(generation.owner_id)
        if request.kind in _CHANGES_PLAYBACK:
            self.forget(generation.public_code, generation.id)
            for code, gid in forget:
                self.forget(code, gid)
        log.info(
            "moderation decision",
            extra={"generation_id": str(generation_id), "kind": str(request.kind)},
        )
        return decision

    async def ban_preview(self, actor: Actor, generation_id: UUID) -> BanPreview:
        """How many codes and sessions banning this generation's owner would touch."""
        may_decide(actor)
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None:
                raise generation_not_found()
            owner = await uow.users.get(generation.owner_id)
            codes = len(await _owned(uow, generation.owner_id))
        now = self.clock()
        sessions = [
            s for s in await self.sessions.list_for_user(generation.owner_id) if s.is_active(now)
        ]
        return BanPreview(owner.email if owner else "a removed account", codes, len(sessions))

    async def decide_many(
        self,
        actor: Actor,
        generation_ids: Sequence[UUID],
        request: DecisionRequest,
        *,
        ip: str = "",
    ) -> BulkOutcome:
        """The same decision on each ticked item, each in its own transaction: an item
        that cannot take it (claimed by another, decided meanwhile) is listed with why,
        and the others are decided."""
        may_decide(actor)
        check_reason(request.reason)
        if request.kind is DecisionKind.BAN_OWNER:
            raise ValidationError("Ban owners one at a time.", code="bulk_ban")
        unique = list(dict.fromkeys(generation_ids))
        if not 1 <= len(unique) <= MAX_BULK:
            raise ValidationError(f"Tick 1 to {MAX_BULK} items.", code="bad_selection")
        outcome = BulkOutcome()
        for generation_id in unique:
            try:
                outcome.decided.append(await self.decide(actor, generation_id, request, ip=ip))
            except DomainError as refused:
                outcome.refused[generation_id] = refused.message
        return outcome

    async def escalate_overdue(self) -> int:
        """Hand items waiting longer than `escalate_after` to admins (a periodic job);
        each admin is mailed once per run when any were escalated."""
        now = self.clock()
        escalated = 0
        async with self.uow() as uow:
            for case in await uow.moderation_cases.waiting(limit=1000):
                if case.escalate(now, older_than=self.escalate_after):
                    await uow.moderation_cases.update(case)
                    escalated += 1
            if escalated:
                for admin in await uow.users.list_admins():
                    await self.notifications.send(
                        uow,
                        "moderation_escalated",
                        to=admin.email,
                        link=self.notifications.link("/admin/moderation?escalated=1"),
                        name=admin.name,
                        count=str(escalated),
                        hours=str(int(self.escalate_after.total_seconds() // 3600)),
                    )
            await uow.commit()
        if escalated:
            log.info("moderation items escalated", extra={"escalated": escalated})
        return escalated

    async def _audio_keys(self, actor: Actor, generation_id: UUID) -> list[str]:
        """The storage keys a deletion removes, once it is known the deletion may be
        taken (storage goes before the transaction, so a refusal must come first)."""
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None:
                raise generation_not_found()
            case = await uow.moderation_cases.get(generation_id)
            may_decide(actor, case)
            state = ModerationState.NONE if case is None else case.state
            if not may_take(DecisionKind.DELETE, state):
                raise IllegalTransition(
                    "This item's audio was removed already.", code="decision_not_allowed"
                )
            revisions = await uow.generation_revisions.list_for(generation_id)
        keys = {r.audio_key for r in revisions} | {generation.audio_key}
        return sorted(k for k in keys if k is not None)

    async def _sanction(
        self, uow: ModerationUnitOfWork, owner: User, decision: Decision, now: datetime
    ) -> list[tuple[str, UUID]]:
        """The account side of a ban (as staff disable or lock an account), and for a
        ban every code of the owner quarantined; returns the codes it quarantined."""
        if decision.sanction is Sanction.BAN:
            owner.status = UserStatus.DISABLED
        elif decision.sanction is Sanction.SUSPEND:
            owner.locked_until = decision.until
        await uow.users.update(owner)
        if decision.sanction is not Sanction.BAN:
            return []
        # The item itself was quarantined by `ModerationCase.decide`.
        quarantined: list[tuple[str, UUID]] = []
        for generation in await _owned(uow, owner.id):
            if generation.id == decision.generation_id:
                quarantined.append((generation.public_code, generation.id))
                continue
            case = await case_of(uow, generation, now)
            if case.withhold_for_ban(decision, now):
                await uow.moderation_cases.update(case)
                quarantined.append((generation.public_code, generation.id))
        return quarantined

    async def _answer_appeal(
        self, uow: ModerationUnitOfWork, case: ModerationCase, decision: Decision, now: datetime
    ) -> None:
        for appeal in await uow.moderation_appeals.for_generation(case.generation_id):
            if appeal.answered_at is None:
                appeal.answered_at = now
                appeal.upheld = decision.kind is not DecisionKind.REVERSE
                await uow.moderation_appeals.update(appeal)

    async def _answer_reports(
        self, uow: ModerationUnitOfWork, generation: Generation, decision: Decision, now: datetime
    ) -> None:
        if decision.kind in ACTING_DECISIONS:
            outcome = ReportOutcome.UPHELD
        elif decision.kind in (DecisionKind.DISMISS, DecisionKind.REVIEWED_FINE):
            outcome = ReportOutcome.REJECTED
        else:
            return
        if decision.kind is DecisionKind.BAN_OWNER and decision.sanction is not Sanction.BAN:
            outcome = ReportOutcome.UPHELD
        for report in await uow.content_reports.answer(generation.id, outcome, now=now):
            if report.email:
                await self.notifications.send(
                    uow,
                    "report_outcome",
                    to=report.email,
                    code=generation.public_code,
                    outcome=(
                        "We acted on it: the audio is no longer available."
                        if outcome is ReportOutcome.UPHELD
                        else "We looked at it and found it within our rules, so it stays."
                    ),
                )

    async def _tell_owner(
        self, uow: ModerationUnitOfWork, owner: User, generation: Generation, decision: Decision
    ) -> None:
        if decision.kind in (DecisionKind.DISMISS, DecisionKind.REVIEWED_FINE):
            return  # nothing changed for them
        if decision.sanction is Sanction.BAN:
            # They cannot sign in any more: the link itself lets them read and appeal.
            path = f"/appeal/{self.appeal_links.token(decision.id.bytes)}"
        else:
            path = f"/generations/{generation.id}"
        await self.notifications.send(
            uow,
            "moderation_decision",
            to=owner.email,
            link=self.notifications.link(path),
            name=owner.name,
            code=generation.public_code,
            decision=owner_wording(decision),
            reason=decision.reason,
        )


def owner_wording(decision: Decision) -> str:
    """What the decision means for the owner, in a sentence."""
    category = REASON_LABELS[decision.reason_code] if decision.reason_code else ""
    about = f" ({category.lower()})" if category else ""
    match decision.kind:
        case DecisionKind.QUARANTINE:
            return f"The audio of this code is withheld from the public for now{about}."
        case DecisionKind.DELETE:
            return f"The audio and QR code were removed{about}."
        case DecisionKind.REVERSE:
            return "The audio of this code plays again."
        case DecisionKind.BAN_OWNER if decision.sanction is Sanction.WARN:
            return f"Your account received a warning{about}."
        case DecisionKind.BAN_OWNER if decision.sanction is Sanction.SUSPEND:
            until = decision.until.strftime("%Y-%m-%d %H:%M UTC") if decision.until else ""
            return f"Your account is suspended until {until}{about}."
        case DecisionKind.BAN_OWNER:
            return f"Your account is closed and its codes are withheld{about}."
    return DECISION_LABELS[decision.kind] + "."


def decision_request(
    kind: str, reason: str, category: str = "", sanction: str = "", until: str = ""
) -> DecisionRequest:
    """A DecisionRequest from text fields (a form, the API, the CLI's options);
    ValidationError names what is wrong."""
    try:
        decided = DecisionKind(kind.strip())
    except ValueError:
        names = ", ".join(k.value for k in DecisionKind)
        raise ValidationError(f"Choose a decision: one of {names}.", code="bad_decision") from None
    try:
        sanctioned = Sanction(sanction.strip()) if sanction.strip() else None
    except ValueError:
        raise ValidationError("Choose warn, suspend or ban.", code="bad_sanction") from None
    return DecisionRequest(
        kind=decided,
        reason=reason,
        reason_code=reason_code(category) if category.strip() else None,
        sanction=sanctioned,
        until=_moment(until) if until.strip() else None,
    )


def _moment(text: str) -> datetime:
    """An ISO date and time (a date alone is its midnight); UTC unless it says otherwise."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            "Give the end of the suspension as a date and time, e.g. 2026-12-31T18:00.",
            code="bad_until",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_request(request: DecisionRequest, now: datetime) -> None:
    if request.kind in ACTING_DECISIONS and request.reason_code is None:
        raise ValidationError("Choose the category it breaks.", code="reason_code_required")
    if request.kind is DecisionKind.BAN_OWNER and request.sanction is None:
        raise ValidationError("Choose warn, suspend or ban.", code="sanction_required")
    if request.sanction is Sanction.SUSPEND and (request.until is None or request.until <= now):
        raise ValidationError("A suspension ends at a time in the future.", code="bad_until")


def _with_count(decision: Decision, count: int) -> Decision:
    return replace(decision, codes_quarantined=count)


async def _owned(uow: ModerationUnitOfWork, owner_id: UUID) -> list[Generation]:
    return await uow.generations.list_for_admin(
        status=None, category=None, limit=100_000, owner_id=owner_id
    )


async def _delete_audio(uow: ModerationUnitOfWork, generation: Generation, now: datetime) -> None:
    """The generation's audio and QR go (its storage objects were deleted first); a
    tombstone stays, and the moderation case says the code answers 410."""
    revisions = await uow.generation_revisions.list_for(generation.id)
    if not generation.is_deleted:
        generation.delete(now)
        await uow.generations.update(generation)
    for revision in revisions:
        if revision.audio_key is not None:
            revision.forget_audio()
            await uow.generation_revisions.update(revision)


def _details(decision: Decision, generation: Generation) -> dict[str, object]:
    details: dict[str, object] = {
        "reason": decision.reason,
        "owner_id": str(generation.owner_id),
        "public_code": generation.public_code,
    }
    if decision.reason_code is not None:
        details["reason_code"] = str(decision.reason_code)
    if decision.sanction is not None:
        details["sanction"] = str(decision.sanction)
        details["codes_quarantined"] = decision.codes_quarantined
    if decision.until is not None:
        details["until"] = decision.until.isoformat()
    return details
