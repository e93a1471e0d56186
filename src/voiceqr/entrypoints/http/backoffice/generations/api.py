"""Failed generations in the JSON API: the administrators' recovery (list, inspect with
technical detail, retry, cancel, edit and requeue)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.generations.failures import GenerationAttempt
from voiceqr.domain.generations.generation import Generation, GenerationStatus
from voiceqr.domain.shared.errors import ErrorCategory, ValidationError
from voiceqr.entrypoints.http.generations.schemas import (
    AttemptOut,
    GenerationEdit,
    GenerationError,
    GenerationOut,
)
from voiceqr.entrypoints.http.generations.views import attempt_out, generation_error, generation_out
from voiceqr.entrypoints.http.kit.auth import (
    api_key_scopes,
    client_address,
)
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body

MAX_RETRY_IDS = 500
ANY_STATUS = "any"  # the list's "every status", on the page and in the API alike
STATUS_CHOICES = (ANY_STATUS, *(str(s) for s in GenerationStatus))


def status_filter(status: str) -> GenerationStatus | None:
    """The status to list (None: every status); a value nobody offers is a ValidationError."""
    if status == ANY_STATUS:
        return None
    try:
        return GenerationStatus(status)
    except ValueError:
        raise ValidationError(
            f"Pick a status from the list: {', '.join(STATUS_CHOICES)}.", code="unknown_filter"
        ) from None


class AdminAttemptOut(AttemptOut):
    detail: str | None = None  # exception type, stack trace, provider response


class AdminGenerationOut(msgspec.Struct):
    generation: GenerationOut
    owner_id: UUID
    error_detail: str | None
    updated_at: datetime | None
    history: list[AdminAttemptOut]


class AdminGenerationSummary(msgspec.Struct):
    id: UUID
    owner_id: UUID
    status: str
    voice_id: UUID
    text: str
    attempts: int
    error: GenerationError | None
    created_at: datetime
    updated_at: datetime | None


class AdminGenerationList(msgspec.Struct):
    items: list[AdminGenerationSummary]


class RetryBody(Body):
    ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=MAX_RETRY_IDS)]


class SkippedOut(msgspec.Struct):
    id: UUID
    code: str
    message: str


class RetryReportOut(msgspec.Struct):
    retried: list[UUID]
    skipped: list[SkippedOut]


def _admin_attempt_out(attempt: GenerationAttempt) -> AdminAttemptOut:
    return AdminAttemptOut(
        **msgspec.structs.asdict(attempt_out(attempt)), detail=attempt.error_detail
    )


def _summary(generation: Generation) -> AdminGenerationSummary:
    return AdminGenerationSummary(
        id=generation.id,
        owner_id=generation.owner_id,
        status=str(generation.status),
        voice_id=generation.voice_id,
        text=generation.text,
        attempts=generation.attempts,
        error=generation_error(
            generation.error_category, generation.error_code, generation.error_message
        ),
        created_at=generation.created_at,
        updated_at=generation.updated_at,
    )


class AdminGenerationController(Controller):
    path = "/admin/generations"
    tags = ["admin"]
    opt = api_key_scopes(GET=Scope.ADMIN, POST=Scope.ADMIN, PATCH=Scope.ADMIN)

    @get("/")
    async def list_generations(
        self,
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
        status: Annotated[
            str, QueryParameter(description="A status, or `any` for every status.")
        ] = str(GenerationStatus.FAILED),
        category: FromQuery[ErrorCategory | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        owner: FromQuery[UUID | None] = None,
    ) -> AdminGenerationList:
        """Every user's generations in a status (failed by default; `any` for every
        status), or one `owner`'s, latest change first."""
        found = await platform.generations.failures.list(
            staff, status=status_filter(status), category=category, limit=limit, owner_id=owner
        )
        return AdminGenerationList(items=[_summary(g) for g in found])

    @get("/{generation_id:uuid}")
    async def get_generation(
        self,
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AdminGenerationOut:
        """One generation with its attempts and the technical detail of each failure."""
        detail = await platform.generations.failures.detail(staff, generation_id)
        return await _admin_out(platform, detail.generation, detail.attempts)

    @post("/{generation_id:uuid}/retry", status_code=HTTP_200_OK, responses=problems(409))
    async def retry(
        self,
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> GenerationOut:
        """Requeue a failed generation with a new attempt budget (409 unless failed)."""
        generation = await platform.generations.failures.retry(
            staff, generation_id, ip=client_address(request, platform)
        )
        return await generation_out(platform, generation)

    @post("/{generation_id:uuid}/cancel", status_code=HTTP_200_OK, responses=problems(409))
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> GenerationOut:
        """Stop a pending or processing generation for good (409 once it is finished)."""
        generation = await platform.generations.failures.cancel(
            staff, generation_id, ip=client_address(request, platform)
        )
        return await generation_out(platform, generation)

    @patch("/{generation_id:uuid}", status_code=HTTP_200_OK, responses=problems(409))
    async def edit(
        self,
        request: Request[Any, Any, Any],
        generation_id: FromPath[UUID],
        data: JSONBody[GenerationEdit],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> GenerationOut:
        """Correct the text and/or voice of a failed generation and requeue it as a new
        revision with a new attempt budget (409 unless failed)."""
        generation = await platform.generations.revisions.edit_failed(
            staff, generation_id, data.edit(), ip=client_address(request, platform)
        )
        return await generation_out(platform, generation)

    @post("/retry", status_code=HTTP_200_OK, responses=problems(409))
    async def retry_many(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RetryBody],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> RetryReportOut:
        """Requeue many failed generations; the others are listed as skipped, with why."""
        report = await platform.generations.failures.retry_many(
            staff, data.ids, ip=client_address(request, platform)
        )
        return RetryReportOut(
            retried=report.retried,
            skipped=[
                SkippedOut(id=gid, code=exc.code, message=exc.message)
                for gid, exc in report.skipped.items()
            ],
        )


async def _admin_out(
    platform: Platform, generation: Generation, attempts: list[GenerationAttempt]
) -> AdminGenerationOut:
    return AdminGenerationOut(
        generation=await generation_out(platform, generation),
        owner_id=generation.owner_id,
        error_detail=generation.error_detail,
        updated_at=generation.updated_at,
        history=[_admin_attempt_out(a) for a in attempts],
    )
