"""The moderation queue as staff see it: one item per generation with all its reports
and flags, ordered by priority; an item in full with its history; claiming and notes.

Every staff action here needs the moderation permission and is audited.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.moderation.decisions import actor_label
from voiceqr.application.moderation.flags import generation_not_found
from voiceqr.application.moderation.ports import CatalogueFilter, ModerationUnitOfWork
from voiceqr.application.shared.audit import record
from voiceqr.application.shared.cursors import decode_cursor, encode_cursor
from voiceqr.application.shared.ports import HistoryPosition
from voiceqr.domain.accounts.users import User
from voiceqr.domain.authz import Actor
from voiceqr.domain.generations.generation import Generation
from voiceqr.domain.generations.organising import search_terms
from voiceqr.domain.moderation.cases import (
    Appeal,
    Decision,
    ModerationCase,
    ModerationNote,
    Report,
    may_decide,
)
from voiceqr.domain.moderation.flags import Flag, check_note
from voiceqr.domain.moderation.priority import FlagWeight, ReportWeight, priority
from voiceqr.domain.shared.errors import ValidationError
from voiceqr.domain.shared.ids import uuid7

MAX_PAGE = 100
EVERY_GENERATION = CatalogueFilter()
MAX_WAITING = 1000  # items scored per queue read; a queue longer than this pages by age

# The scans of a code by country, for the item page: (country code, scans), most first.
ScansByCountry = Callable[[User, UUID], Awaitable[list[tuple[str, int]]]]
AudioUrl = Callable[[Generation], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class QueueEntry:
    case: ModerationCase
    generation: Generation
    owner_email: str
    reports: list[Report]
    flags: list[Flag]
    scans: int
    score: float


@dataclass(frozen=True, slots=True)
class QueuePage:
    entries: list[QueueEntry]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ItemView:
    """An item in full: the queue entry, the owner, the audio, the whole history."""

    entry: QueueEntry
    owner: User | None
    audio_url: str | None
    decisions: list[Decision]
    appeals: list[Appeal]
    notes: list[ModerationNote]
    countries: list[tuple[str, int]]
    claimed_by: str | None


def _cursor(entry: QueueEntry) -> str:
    text = f"{entry.score}|{entry.case.generation_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(cursor: str) -> tuple[float, UUID]:
    try:
        score, generation_id = (
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        )
        return float(score), UUID(generation_id)
    except ValueError:
        raise ValidationError("This page link is not valid.", code="bad_cursor") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModerationQueue:
    uow: Callable[[], ModerationUnitOfWork]
    clock: Callable[[], datetime]
    audio_url: AudioUrl
    scans_by_country: ScansByCountry

    async def queue(
        self,
        actor: Actor,
        *,
        rule_id: UUID | None = None,
        escalated: bool | None = None,
        cursor: str | None = None,
        limit: int = 25,
    ) -> QueuePage:
        """Waiting items, highest priority first (then longest waiting); keyset paged.
        `rule_id` keeps the items an automated rule flagged; `escalated` those handed
        to admins (True) or not (False)."""
        may_decide(actor)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"Ask for 1 to {MAX_PAGE} items.", code="bad_limit")
        after = None if not cursor else _after(cursor)
        async with self.uow() as uow:
            cases = await uow.moderation_cases.waiting(limit=MAX_WAITING)
            if escalated is not None:
                cases = [c for c in cases if c.escalated == escalated]
            entries = await _entries(uow, cases)
        if rule_id is not None:
            entries = [e for e in entries if any(f.rule_id == rule_id for f in e.flags)]
        entries.sort(key=lambda e: (-e.score, e.case.opened_at or e.case.created_at))
        if after is not None:
            entries = [
                e
                for e in entries
                if (-e.score, str(e.case.generation_id)) > (-after[0], str(after[1]))
            ]
        page = entries[:limit]
        return QueuePage(page, _cursor(page[-1]) if len(entries) > limit else None)

    async def catalogue(
        self,
        actor: Actor,
        which: CatalogueFilter = EVERY_GENERATION,
        *,
        cursor: str | None = None,
        limit: int = 25,
    ) -> QueuePage:
        """Every generation on the platform, newest first, searched and filtered, each
        with its moderation evidence and score (whether it is in the queue or not)."""
        may_decide(actor)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationError(f"Ask for 1 to {MAX_PAGE} generations.", code="bad_limit")
        search_terms(which.text)  # a search the index cannot take is refused here
        if len(which.owner) > 254:
            raise ValidationError("Search owners by 254 characters at most.", code="owner_too_long")
        after = None if not cursor else decode_cursor(cursor)
        now = self.clock()
        async with self.uow() as uow:
            found = await uow.moderation_catalogue.search(which, after=after, limit=limit + 1)
            page = found[:limit]
            cases = await uow.moderation_cases.get_many([g.id for g in page])
            entries = await _entries(
                uow,
                [cases.get(g.id) or ModerationCase.open_for(g.id, g.owner_id, now) for g in page],
                {g.id: g for g in page},
            )
        next_cursor = None
        if len(found) > limit:
            next_cursor = encode_cursor(HistoryPosition(page[-1].created_at, page[-1].id))
        return QueuePage(entries, next_cursor)

    async def item(self, actor: Actor, generation_id: UUID) -> ItemView:
        """One generation as moderators see it, whether it is in the queue or not."""
        may_decide(actor)
        now = self.clock()
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None:
                raise generation_not_found()
            case = await uow.moderation_cases.get(generation_id)
            if case is None:  # never flagged: shown as a case with no history
                case = ModerationCase.open_for(generation.id, generation.owner_id, now)
            (entry,) = await _entries(uow, [case], {generation.id: generation})
            owner = await uow.users.get(generation.owner_id)
            claimer = None if case.claimed_by is None else await uow.users.get(case.claimed_by)
            decisions = await uow.moderation_decisions.for_generation(generation_id)
            appeals = await uow.moderation_appeals.for_generation(generation_id)
            notes = await uow.moderation_notes.for_generation(generation_id)
        countries = [] if owner is None else await self.scans_by_country(owner, generation_id)
        return ItemView(
            entry=entry,
            owner=owner,
            audio_url=None if generation.is_deleted else await self.audio_url(generation),
            decisions=decisions,
            appeals=appeals,
            notes=notes,
            countries=countries,
            claimed_by=None if claimer is None else (claimer.name or claimer.email),
        )

    async def claim(self, actor: Actor, generation_id: UUID, *, ip: str = "") -> None:
        """Take the item: other moderators see who is on it (and cannot claim it)."""
        await self._claiming(actor, generation_id, claim=True, ip=ip)

    async def unclaim(self, actor: Actor, generation_id: UUID, *, ip: str = "") -> None:
        await self._claiming(actor, generation_id, claim=False, ip=ip)

    async def note(
        self, actor: Actor, generation_id: UUID, body: str, *, ip: str = ""
    ) -> ModerationNote:
        """An internal note on the item, for moderators only."""
        may_decide(actor)
        body = check_note(body)
        if not body:
            raise ValidationError("Write a note first.", code="empty_note")
        now = self.clock()
        async with self.uow() as uow:
            generation = await uow.generations.get(generation_id)
            if generation is None:
                raise generation_not_found()
            note = ModerationNote(uuid7(), generation_id, actor.id, actor_label(actor), body, now)
            await uow.moderation_notes.add(note)
            await record(
                uow, actor, "moderation.note", target=("generation", generation_id), now=now, ip=ip
            )
            await uow.commit()
        return note

    async def _claiming(self, actor: Actor, generation_id: UUID, *, claim: bool, ip: str) -> None:
        may_decide(actor)
        now = self.clock()
        async with self.uow() as uow:
            case = await uow.moderation_cases.get(generation_id)
            if case is None or not case.waiting:
                raise ValidationError("Only items in the queue can be claimed.", code="not_waiting")
            if claim:
                case.claim(actor, now)
            else:
                case.unclaim(now)
            await uow.moderation_cases.update(case)
            await record(
                uow,
                actor,
                "moderation.claim" if claim else "moderation.unclaim",
                target=("generation", generation_id),
                now=now,
                ip=ip,
            )
            await uow.commit()


async def _entries(
    uow: ModerationUnitOfWork,
    cases: list[ModerationCase],
    known: dict[UUID, Generation] | None = None,
) -> list[QueueEntry]:
    """Queue entries for `cases`, with their evidence and score, in a few reads."""
    ids = [c.generation_id for c in cases]
    generations = dict(known or {})
    for gid in ids:
        if gid not in generations:
            found = await uow.generations.get(gid)
            if found is not None:
                generations[gid] = found
    reports = await uow.content_reports.for_generations(ids)
    flags = await uow.flags.for_generations(ids)
    counts = await uow.playback_events.counts(ids)
    records = await uow.content_reports.records(
        list({r.reporter_key for rs in reports.values() for r in rs})
    )
    emails: dict[UUID, str] = {}
    for owner_id in {c.owner_id for c in cases}:
        owner = await uow.users.get(owner_id)
        emails[owner_id] = owner.email if owner else "a removed account"
    entries = []
    for case in cases:
        generation = generations.get(case.generation_id)
        if generation is None:
            continue
        its_reports = reports.get(case.generation_id, [])
        its_flags = flags.get(case.generation_id, [])
        scans = counts[case.generation_id].scans if case.generation_id in counts else 0
        weights = [
            ReportWeight(r.reason, records[r.reporter_key].upheld, records[r.reporter_key].answered)
            for r in its_reports
        ]
        score = priority(weights, [FlagWeight(f.reason, f.source) for f in its_flags], scans)
        entries.append(
            QueueEntry(
                case, generation, emails[case.owner_id], its_reports, its_flags, scans, score
            )
        )
    return entries
