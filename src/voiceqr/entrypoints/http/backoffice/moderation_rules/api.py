"""Moderation automation in the JSON API, under /api/v1/admin/moderation: the flagging
rules (admins), the text filter's staff terms (moderators and admins) and the held
generations (moderators and admins). The same use cases as the pages and the CLI;
every change audited with its reason."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from voiceqr.application.moderation.review import MAX_HELD_PAGE
from voiceqr.application.moderation.rules import DEFAULT_DRY_RUN, MAX_DRY_RUN
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.backoffice.moderation_rules.views import (
    DryRunOut,
    HeldList,
    ReasonIn,
    RuleList,
    RulesIn,
    TermList,
    TermsIn,
    dry_run_out,
    held_out,
    rule_out,
    term_out,
)
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, client_address
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems

_SCOPES = api_key_scopes(GET=Scope.ADMIN, POST=Scope.ADMIN, PUT=Scope.ADMIN)


class AdminRulesController(Controller):
    path = "/admin/moderation/rules"
    tags = ["admin"]
    opt = _SCOPES

    @get("/", cache_control=NO_STORE_REPLY)
    async def list_rules(
        self, platform: NamedDependency[Platform], staff: NamedDependency[User]
    ) -> RuleList:
        """Every automated flagging rule, on or off."""
        return RuleList([rule_out(r) for r in await platform.moderation.rules.list_all(staff)])

    @put("/", status_code=HTTP_200_OK, responses=problems(409))
    async def replace_rules(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RulesIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> RuleList:
        """The rules become exactly these (a rule keeps its id by its name; a name left
        out is deleted). An unknown kind, a missing or out-of-range parameter is a 422
        and nothing changes."""
        saved = await platform.moderation.rules.replace(
            staff,
            [rule.input() for rule in data.rules],
            reason=data.reason,
            ip=client_address(request, platform),
        )
        return RuleList([rule_out(r) for r in saved])

    @post("/{rule:str}/dry-run", status_code=HTTP_200_OK, cache_control=NO_STORE_REPLY)
    async def dry_run(
        self,
        rule: FromPath[str],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        last: Annotated[int, QueryParameter(ge=1, le=MAX_DRY_RUN)] = DEFAULT_DRY_RUN,
    ) -> DryRunOut:
        """Try a rule (by id or name, on or off) on the last `last` generations: which it
        would have flagged. Nothing is written."""
        return dry_run_out(await platform.moderation.rules.dry_run(staff, rule, last=last))


class AdminTermsController(Controller):
    path = "/admin/moderation/terms"
    tags = ["admin"]
    opt = _SCOPES

    @get("/", cache_control=NO_STORE_REPLY)
    async def list_terms(
        self, platform: NamedDependency[Platform], staff: NamedDependency[User]
    ) -> TermList:
        """The staff's own entries of the text filter (the shipped word lists are not
        listed: they are part of the project)."""
        return TermList([term_out(t) for t in await platform.moderation.terms.list_all(staff)])

    @put("/", status_code=HTTP_200_OK)
    async def replace_terms(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TermsIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> TermList:
        """The staff's entries become exactly these; a bad entry is a 422 and nothing
        changes."""
        saved = await platform.moderation.terms.replace(
            staff,
            [term.input() for term in data.terms],
            reason=data.reason,
            ip=client_address(request, platform),
        )
        return TermList([term_out(t) for t in saved])


class AdminHeldController(Controller):
    path = "/admin/moderation/held"
    tags = ["admin"]
    opt = _SCOPES

    @get("/", cache_control=NO_STORE_REPLY)
    async def list_held(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_HELD_PAGE)] = 50,
    ) -> HeldList:
        """Generations the text filter held, longest waiting first."""
        held = await platform.moderation.held.waiting(staff, limit=limit)
        return HeldList([held_out(m) for m in held])

    @post("/{generation_id:uuid}/approve", status_code=HTTP_200_OK, responses=problems(409))
    async def approve(
        self,
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> dict[str, str]:
        """Let a held text through: it is queued and made."""
        made = await platform.moderation.held.approve(
            staff, generation_id, reason=data.reason, ip=client_address(request, platform)
        )
        return {"generation_id": str(made.id), "status": str(made.status)}

    @post("/{generation_id:uuid}/reject", status_code=HTTP_200_OK, responses=problems(409))
    async def reject(
        self,
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        data: JSONBody[ReasonIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> dict[str, str]:
        """Refuse a held text: no audio is made of it."""
        made = await platform.moderation.held.reject(
            staff, generation_id, reason=data.reason, ip=client_address(request, platform)
        )
        return {"generation_id": str(made.id), "status": str(made.status)}
