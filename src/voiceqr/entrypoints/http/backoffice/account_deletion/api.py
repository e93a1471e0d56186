"""Deleting an account in the JSON API (admins only; API keys need the admin scope).

The deletion is confirmed by the account's email typed again and carries a reason for
the audit log; a background job then removes everything (202: it has begun).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_202_ACCEPTED

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.auth import client_address
from voiceqr.entrypoints.http.kit.openapi import problems
from voiceqr.entrypoints.http.kit.schemas import Body, one_line


class AccountDeletionIn(Body):
    email: Annotated[str, one_line(254)]  # the account's email, typed again
    reason: Annotated[str, one_line(500)]


class AccountDeletionOut(msgspec.Struct):
    user_id: UUID
    requested_at: datetime
    due_at: datetime
    status: str


class AdminAccountDeletionController(Controller):
    path = "/admin/users"
    tags = ["admin"]

    @post(
        "/{user_id:uuid}/deletion",
        status_code=HTTP_202_ACCEPTED,
        responses=problems(403, 404, 409, 422),
    )
    async def delete_account(
        self,
        request: Request[Any, Any, Any],
        user_id: FromPath[UUID],
        data: JSONBody[AccountDeletionIn],
        platform: NamedDependency[Platform],
        staff: NamedDependency[User],
    ) -> AccountDeletionOut:
        """Delete the account and everything it made, at once and for good (admins only):
        a background job removes its generations, files and rows; its printed codes
        answer 410."""
        deletion = await platform.account_deletions.delete_by_staff(
            staff,
            user_id,
            email_typed=data.email,
            reason=data.reason,
            ip=client_address(request, platform),
        )
        return AccountDeletionOut(
            user_id=deletion.user_id,
            requested_at=deletion.requested_at,
            due_at=deletion.due_at,
            status=str(deletion.status),
        )
