"""Reporting a code's audio from its public page: a form at /p/{code}/report (no
account, no script) and POST /api/v1/playback/{code}/report. Both take a category, an
optional note and an optional email (to be told the outcome); both are rate-limited
per visitor and per code (429 with Retry-After)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.response import Template
from litestar.status_codes import HTTP_201_CREATED

from voiceqr.application.moderation.reports import MAX_REPORT_NOTE
from voiceqr.bootstrap import Platform
from voiceqr.domain.moderation.flags import REASON_LABELS, ReasonCode, reason_code
from voiceqr.domain.shared.errors import DomainError, ErrorCategory, RateLimited
from voiceqr.entrypoints.http.kit.forms import Form, page, refusal_status
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, Email, multi_line
from voiceqr.entrypoints.http.playback.visits import visit_of

_EXPLAINED = (ErrorCategory.VALIDATION, ErrorCategory.NOT_FOUND)


class ReportIn(Body):
    """A visitor's report of a code's audio."""

    reason: ReasonCode
    note: Annotated[str, multi_line(MAX_REPORT_NOTE)] = ""
    email: Email = ""  # to be told the outcome, once


class ReportOut(msgspec.Struct, frozen=True):
    id: str
    received: bool = True


def _form(code: str, status: int = 200, **context: Any) -> Template:
    return page(
        "playback/report.html",
        status,
        code=code,
        reasons=list(REASON_LABELS.items()),
        **{"reason": "", "note": "", "email": "", "sent": False, **context},
    )


@get("/p/{code:str}/report")
async def report_page(code: FromPath[str], platform: NamedDependency[Platform]) -> Template:
    """The report form of a code (404 for a code that leads nowhere)."""
    await platform.playback.playback.page(code)
    return _form(code)


@post("/p/{code:str}/report", status_code=200)
async def report_submit(
    code: FromPath[str],
    data: Form,
    request: Request[Any, Any, Any],
    platform: NamedDependency[Platform],
) -> Response[Any]:
    reason, note, email = data.get("reason", ""), data.get("note", ""), data.get("email", "")
    try:
        await platform.moderation.reports.report(
            code,
            reason_code(reason),
            visit=await visit_of(request, platform),
            note=note,
            email=email,
        )
    except RateLimited as exc:
        form = _form(code, 429, reason=reason, note=note, email=email, error=exc.message)
        form.headers["Retry-After"] = str(exc.retry_after)
        return form
    except DomainError as exc:
        status = refusal_status(exc, _EXPLAINED)
        return _form(code, status, reason=reason, note=note, email=email, error=exc.message)
    return _form(code, sent=True)


class ReportController(Controller):
    path = "/playback"
    tags = ["playback"]

    @post(
        "/{code:str}/report",
        status_code=HTTP_201_CREATED,
        responses=problems(400, 404, 410, 422, 429),
    )
    async def report(
        self,
        code: FromPath[str],
        data: JSONBody[ReportIn],
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
    ) -> ReportOut:
        """Report a code's audio to the moderators (no account needed). Every report of
        a code joins its one queue item; rate-limited per visitor and per code."""
        report = await platform.moderation.reports.report(
            code,
            data.reason,
            visit=await visit_of(request, platform),
            note=data.note,
            email=data.email,
        )
        return ReportOut(str(report.id))
