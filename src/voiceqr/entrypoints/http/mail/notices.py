"""In-app notices: the /notices page (mark read, mark all read, older pages) and the
JSON API /api/v1/me/notices. A user sees only their own; another's is not found."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Redirect, Template

from voiceqr.application.mail.preferences import MAX_NOTICES_PER_PAGE, NOTICES_PER_PAGE
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.api_keys import Scope
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.notices import Notice
from voiceqr.entrypoints.http.kit.auth import api_key_scopes, current_user
from voiceqr.entrypoints.http.kit.forms import page
from voiceqr.entrypoints.http.kit.headers import NO_STORE_REPLY

_SIGNED_IN = {"user": Provide(current_user)}


@get("/notices", dependencies=_SIGNED_IN)
async def notices_page(
    user: NamedDependency[User],
    platform: NamedDependency[Platform],
    before: FromQuery[UUID | None] = None,
) -> Template:
    """The user's notices, newest first, a page at a time."""
    found = await platform.mail.notices.page(user, before=before)
    return page(
        "mail/notices.html",
        user=user,
        notices=[
            {
                "id": n.id,
                "text": n.text,
                "link": n.link,
                "when": n.created_at,
                "read": n.is_read,
            }
            for n in found.notices
        ],
        unread=found.unread,
        newest="/notices" if before is not None else None,
        older=None if found.older is None else f"/notices?before={found.older}",
    )


@post("/notices/{notice_id:uuid}/read", dependencies=_SIGNED_IN, status_code=303)
async def notice_read_submit(
    notice_id: FromPath[UUID], user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Redirect:
    await platform.mail.notices.mark_read(user, notice_id)
    return Redirect("/notices", status_code=303)


@post("/notices/read", dependencies=_SIGNED_IN, status_code=303)
async def notices_read_all_submit(
    user: NamedDependency[User], platform: NamedDependency[Platform]
) -> Redirect:
    await platform.mail.notices.mark_all_read(user)
    return Redirect("/notices", status_code=303)


class NoticeOut(msgspec.Struct):
    id: UUID
    kind: str  # generation_failed, ticket_reply, ...
    text: str
    link: str  # a path on the site
    created_at: datetime
    read_at: datetime | None


class NoticesOut(msgspec.Struct):
    notices: list[NoticeOut]
    unread: int
    older: UUID | None  # pass as `before` for the next older page; null: no more


class MarkedOut(msgspec.Struct):
    marked: int


def _out(notice: Notice) -> NoticeOut:
    return NoticeOut(
        notice.id, str(notice.kind), notice.text, notice.link, notice.created_at, notice.read_at
    )


Limit = Annotated[int, Parameter(ge=1, le=MAX_NOTICES_PER_PAGE)]


class NoticesController(Controller):
    path = "/me/notices"
    tags = ["me"]
    opt = api_key_scopes(GET=Scope.READ)
    dependencies = _SIGNED_IN

    @get("/", cache_control=NO_STORE_REPLY)
    async def list_notices(
        self,
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
        before: FromQuery[UUID | None] = None,
        limit: FromQuery[Limit] = NOTICES_PER_PAGE,
    ) -> NoticesOut:
        """The user's in-app notices, newest first, and how many are unread."""
        found = await platform.mail.notices.page(user, before=before, limit=limit)
        return NoticesOut([_out(n) for n in found.notices], found.unread, found.older)

    @post("/{notice_id:uuid}/read", status_code=204)
    async def mark_notice_read(
        self,
        notice_id: FromPath[UUID],
        user: NamedDependency[User],
        platform: NamedDependency[Platform],
    ) -> Response[None]:
        """Mark one notice read (404 for a notice that is not the user's)."""
        await platform.mail.notices.mark_read(user, notice_id)
        return Response(None, status_code=204)

    @post("/read", status_code=200)
    async def mark_all_notices_read(
        self, user: NamedDependency[User], platform: NamedDependency[Platform]
    ) -> MarkedOut:
        """Mark every notice read; says how many were unread."""
        return MarkedOut(await platform.mail.notices.mark_all_read(user))
