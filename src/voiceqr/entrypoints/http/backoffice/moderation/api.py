"""The moderation queue in the JSON API: /api/v1/admin/moderation/items, the same use
cases as the pages and the CLI (every decision with a reason, audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from voiceqr.application.moderation.decisions import decision_request
from voiceqr.application.moderation.queue import MAX_PAGE, ItemView, QueueEntry
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.moderation.cases import Decision, DecisionKind, Sanction
from voiceqr.domain.moderation.flags import MAX_REASON, ReasonCode
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, client_address
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, one_line


class ReportOut(msgspec.Struct):
    reason: str
    note: str
    outcome: str | None
    created_at: datetime
    tells_reporter: bool  # the reporter left an email and is told the outcome


class FlagOut(msgspec.Struct):
    source: str
    reason: str
    note: str
    rule_id: UUID | None
    created_at: datetime


class DecisionOut(msgspec.Struct):
    id: UUID
    kind: str
    reason_code: str | None
    reason: str
    decided_by: str
    decided_at: datetime
    sanction: str | None
    until: datetime | None
    codes_quarantined: int


class ItemSummary(msgspec.Struct):
    generation_id: UUID
    public_code: str
    text: str
    owner_id: UUID
    owner_email: str
    state: str
    score: float
    reports: int
    flags: int
    scans: int
    appealed: bool
    escalated: bool
    claimed: bool
    waiting_since: datetime | None


class ItemOut(ItemSummary):
    audio_url: str | None
    report_list: list[ReportOut]
    flag_list: list[FlagOut]
    decisions: list[DecisionOut]
    appeals: list[str]
    notes: list[str]
    scans_by_country: dict[str, int]


class ItemList(msgspec.Struct):
    items: list[ItemSummary]
    next_cursor: str | None


class DecisionIn(Body):
    """A decision on an item; `reason` is required (the owner and the audit log see it)."""

    kind: DecisionKind
    reason: Annotated[str, one_line(MAX_REASON)]
    category: ReasonCode | None = None  # for quarantine, delete and ban
    sanction: Sanction | None = None  # for ban_owner: warn, suspend or ban
    until: datetime | None = None  # for a suspension


def _summary(entry: QueueEntry) -> ItemSummary:
    case, generation = entry.case, entry.generation
    return ItemSummary(
        generation_id=generation.id,
        public_code=generation.public_code,
        text=generation.text,
        owner_id=generation.owner_id,
        owner_email=entry.owner_email,
        state=str(case.state),
        score=entry.score,
        reports=len(entry.reports),
        flags=len(entry.flags),
        scans=entry.scans,
        appealed=case.appeal_pending,
        escalated=case.escalated,
        claimed=case.claimed_by is not None,
        waiting_since=case.opened_at,
    )


def decision_out(d: Decision) -> DecisionOut:
    return DecisionOut(
        id=d.id,
        kind=str(d.kind),
        reason_code=None if d.reason_code is None else str(d.reason_code),
        reason=d.reason,
        decided_by=d.decided_by_label,
        decided_at=d.decided_at,
        sanction=None if d.sanction is None else str(d.sanction),
        until=d.until,
        codes_quarantined=d.codes_quarantined,
    )


def item_out(view: ItemView) -> ItemOut:
    entry = view.entry
    return ItemOut(
        **msgspec.structs.asdict(_summary(entry)),
        audio_url=view.audio_url,
        report_list=[
            ReportOut(
                str(r.reason), r.note, r.outcome and str(r.outcome), r.created_at, bool(r.email)
            )
            for r in entry.reports
        ],
        flag_list=[
            FlagOut(str(f.source), str(f.reason), f.note, f.rule_id, f.created_at)
            for f in entry.flags
        ],
        decisions=[decision_out(d) for d in view.decisions],
        appeals=[a.message for a in view.appeals],
        notes=[n.body for n in view.notes],
        scans_by_country=dict(view.countries),
    )


class AdminModerationController(Controller):
    path = "/admin/moderation"
    tags = ["admin"]
    opt = api_key_scopes(GET=Scope.ADMIN, POST=Scope.ADMIN)

    @get("/items", cache_control=NO_STORE_REPLY, responses=problems(400, 403))
    async def list_items(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        rule_id: FromQuery[UUID | None] = None,
        escalated: FromQuery[bool | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 25,
    ) -> ItemList:
        """The queue, highest priority first; `next_cursor` for the next page."""
        found = await platform.moderation.queue.queue(
            staff, rule_id=rule_id, escalated=escalated, cursor=cursor, limit=limit
        )
        return ItemList([_summary(e) for e in found.entries], found.next_cursor)

    @get("/items/{generation_id:uuid}", cache_control=NO_STORE_REPLY, responses=problems(404))
    async def get_item(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> ItemOut:
        """One item with its reports, flags, history, appeals, notes and scans by country."""
        return item_out(await platform.moderation.queue.item(staff, generation_id))

    @post(
        "/items/{generation_id:uuid}",
        status_code=HTTP_200_OK,
        responses=problems(400, 403, 404, 409, 422),
    )
    async def decide(
        self,
        generation_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> DecisionOut:
        """Take a decision on the item: dismiss, reviewed_fine, quarantine, reverse,
        delete or ban_owner, with a reason."""
        request_ = decision_request(
            str(data.kind),
            data.reason,
            "" if data.category is None else str(data.category),
            "" if data.sanction is None else str(data.sanction),
            "" if data.until is None else data.until.isoformat(),
        )
        decision = await platform.moderation.decisions.decide(
            staff, generation_id, request_, ip=client_address(request, platform)
        )
        return decision_out(decision)
