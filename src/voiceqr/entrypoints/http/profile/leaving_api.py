"""The user's own data leaving, in the JSON API: /api/v1/me/exports (an archive of the
account) and /api/v1/me/deletion.

Deleting needs the browser session with a password typed (or a sign-in) in the last
five minutes; API keys cannot delete an account, nor ask for its archive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from voiceqr.bootstrap import Platform
from voiceqr.domain.account_data.deletion import AccountDeletion
from voiceqr.domain.account_data.export import AccountExport, ExportStatus
from voiceqr.domain.accounts.sessions import Session
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.auth import client_address, current_session, current_user
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY
from voiceqr.entrypoints.http.kit.openapi import problems


class DeletionOut(msgspec.Struct):
    requested_at: datetime
    due_at: datetime  # the account goes then, unless kept before
    status: str  # scheduled (may still be kept) or running


def _out(deletion: AccountDeletion) -> DeletionOut:
    return DeletionOut(
        requested_at=deletion.requested_at, due_at=deletion.due_at, status=str(deletion.status)
    )


class ExportOut(msgspec.Struct):
    id: UUID
    status: str  # pending, ready or failed
    requested_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None  # the download link works until then
    size: int | None
    download_url: str | None  # the signed-in owner's link, once ready and until it expires


def _export_out(export: AccountExport, now: datetime) -> ExportOut:
    ready = export.status is ExportStatus.READY and not export.is_expired(now)
    return ExportOut(
        id=export.id,
        status=str(export.status),
        requested_at=export.requested_at,
        completed_at=export.completed_at,
        expires_at=export.expires_at,
        size=export.size,
        download_url=f"/profile/exports/{export.id}/download" if ready else None,
    )


class AccountExportController(Controller):
    path = "/me/exports"
    tags = ["me"]
    dependencies = {"user": Provide(current_user), "session": Provide(current_session)}

    @post("/", status_code=HTTP_202_ACCEPTED, responses=problems(409))
    async def request_export(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> ExportOut:
        """Ask for an archive of the account: a job builds it and mails a link (409 while
        one is being made)."""
        del session  # the browser session only
        exports = platform.account_exports
        export = await exports.request(user, ip=client_address(request, platform))
        return _export_out(export, exports.clock())

    @get("/{export_id:uuid}", cache_control=NO_STORE_REPLY, responses=problems(404))
    async def get_export(
        self,
        export_id: FromPath[UUID],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> ExportOut:
        """One of the owner's archives (another account's is 404)."""
        del session
        exports = platform.account_exports
        return _export_out(await exports.of(user, export_id), exports.clock())


class AccountDeletionController(Controller):
    path = "/me/deletion"
    tags = ["me"]
    dependencies = {"user": Provide(current_user), "session": Provide(current_session)}

    @get("/", cache_control=NO_STORE_REPLY, responses=problems(404))
    async def get_deletion(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> DeletionOut:
        """The deletion waiting on this account (404: none)."""
        deletion = await platform.account_deletions.pending(user.id)
        if deletion is None:
            raise NotFoundException("This account is not being deleted.")
        return _out(deletion)

    @post("/", status_code=HTTP_202_ACCEPTED, responses=problems(403, 409))
    async def ask_deletion(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> DeletionOut:
        """Delete this account and everything it made once the grace period has passed
        (403 `reauthentication_required` without a recent password or sign-in)."""
        deletion = await platform.account_deletions.ask(
            user, session, ip=client_address(request, platform)
        )
        return _out(deletion)

    @delete("/", status_code=HTTP_204_NO_CONTENT, responses=problems(404, 409))
    async def keep_account(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[User],
        session: NamedDependency[Session],
        platform: NamedDependency[Platform],
    ) -> None:
        """Keep the account: cancels the deletion during its grace period."""
        del session  # the browser session only
        await platform.account_deletions.keep(user, ip=client_address(request, platform))
