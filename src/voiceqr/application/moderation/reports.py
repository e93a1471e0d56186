"""Reports from the public playback page: anyone who hears a code may report it.

No account is needed; a category, an optional note and an optional email (to be told
the outcome). Every report of a code joins its one queue item. Reports are limited per
visitor and per code, so they cannot flood the queue. The reporter is known by a key
that holds no address: the hash of the email they left, or the day's visitor key.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from voiceqr.application.moderation.flags import case_of
from voiceqr.application.moderation.ports import ModerationUnitOfWork
from voiceqr.application.moderation.screening import ContentScreening
from voiceqr.application.playback.playback import Visit
from voiceqr.application.shared.ports import RateLimiter
from voiceqr.domain.accounts.users import normalize_email
from voiceqr.domain.generations.generation import is_well_formed_public_code
from voiceqr.domain.moderation.cases import ModerationState, Report
from voiceqr.domain.moderation.flags import ReasonCode, check_note
from voiceqr.domain.shared.errors import Gone, NotFound, RateLimited
from voiceqr.domain.shared.ids import uuid7

log = logging.getLogger(__name__)

HOUR = 3600
MAX_REPORT_NOTE = 1000


@dataclass(frozen=True, slots=True)
class ReportLimits:
    per_visitor_per_hour: int = 5
    per_code_per_hour: int = 30


def email_key(email: str) -> str:
    """A reporter who left an email is the same reporter on any day and any device."""
    return "e:" + hashlib.sha256(email.encode()).hexdigest()[:40]


def code_not_found() -> NotFound:
    return NotFound("This code does not lead to any audio.", code="code_not_found")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentReports:
    uow: Callable[[], ModerationUnitOfWork]
    limits: RateLimiter
    clock: Callable[[], datetime]
    visitor_key: Callable[[str, Visit], Awaitable[str]]  # the playback page's visitor key
    screening: ContentScreening  # runs the "reports within a window" rules on each report
    report_limits: ReportLimits = ReportLimits()

    async def report(
        self,
        code: str,
        reason: ReasonCode,
        *,
        visit: Visit,
        note: str = "",
        email: str = "",
    ) -> Report:
        """Record a visitor's report of the audio behind `code` and put its item in the
        queue (unless it was reviewed fine at this text, or is already withheld).

        NotFound for an unknown code, Gone for a removed one, RateLimited (with the
        seconds to wait) past a visitor's or a code's hourly limit.
        """
        note = check_note(note, max_length=MAX_REPORT_NOTE)
        address = normalize_email(email) if email.strip() else None
        if not is_well_formed_public_code(code):
            raise code_not_found()
        reporter = email_key(address) if address else "v:" + await self.visitor_key(code, visit)
        limits = self.report_limits
        # The visitor first: one visitor hammering one code must not use up its budget.
        if not await self.limits.hit(
            f"report:visitor:{reporter}", limit=limits.per_visitor_per_hour, window_seconds=HOUR
        ):
            raise RateLimited(retry_after=HOUR)
        if not await self.limits.hit(
            f"report:code:{code}", limit=limits.per_code_per_hour, window_seconds=HOUR
        ):
            raise RateLimited(retry_after=HOUR)
        now = self.clock()
        async with self.uow() as uow:
            generation = await uow.generations.get_by_code(code)
            if generation is None:
                raise code_not_found()
            if generation.is_deleted:
                raise Gone("The audio of this code was removed.", code="audio_removed")
            report = Report(
                id=uuid7(),
                generation_id=generation.id,
                reason=reason,
                note=note,
                email=address,
                reporter_key=reporter[:64],
                created_at=now,
            )
            await uow.content_reports.add(report)
            case = await case_of(uow, generation, now)
            if case.state is ModerationState.REMOVED:
                raise Gone("The audio of this code was removed.", code="audio_removed")
            case.flagged(now, revision=generation.revision)
            await uow.moderation_cases.update(case)
            await self.screening.after_report(uow, generation.id)
            await uow.commit()
        log.info(
            "code reported",
            extra={"generation_id": str(generation.id), "reason": str(reason)},
        )
        return report
