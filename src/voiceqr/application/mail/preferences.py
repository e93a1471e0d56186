"""Use cases of a user's notification settings and in-app notices: read and change
them, the one-click unsubscribe link, and the notices page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from voiceqr.application.mail.ports import MailUnitOfWork
from voiceqr.application.mail.unsubscribe import UnsubscribeRequest, UnsubscribeTokens
from voiceqr.domain.accounts.users import User
from voiceqr.domain.mail.notices import Notice
from voiceqr.domain.mail.preferences import NotificationSettings
from voiceqr.domain.shared.errors import NotFound, ValidationError

NOTICES_PER_PAGE = 20
MAX_NOTICES_PER_PAGE = 100


def _unknown_link() -> NotFound:
    return NotFound(
        "This unsubscribe link is not valid. Change your mail settings on your profile.",
        code="unsubscribe_link_not_found",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationPreferences:
    """A user's choice of mail and notices per kind, and the unsubscribe links."""

    uow: Callable[[], MailUnitOfWork]
    tokens: UnsubscribeTokens

    async def get(self, user: User) -> NotificationSettings:
        """The user's settings (the defaults if never saved)."""
        async with self.uow() as uow:
            stored = await uow.notification_settings.get(user.id)
        return stored or NotificationSettings.defaults(user.id)

    async def update(self, user: User, changes: Mapping[str, object]) -> NotificationSettings:
        """Change some settings (see `NotificationSettings.changed` for the names and
        values); ValidationError, and nothing changed, for anything else."""
        async with self.uow() as uow:
            stored = await uow.notification_settings.get(user.id)
            updated = (stored or NotificationSettings.defaults(user.id)).changed(changes)
            await uow.notification_settings.save(updated)
            await uow.commit()
        return updated

    async def unsubscribe_request(self, token: str) -> UnsubscribeRequest:
        """What an unsubscribe link asks, without doing it (a GET must change nothing:
        link scanners open every link of a mail). NotFound for a forged link or an
        account deleted since."""
        request = self.tokens.read(token)
        if request is None:
            raise _unknown_link()
        async with self.uow() as uow:
            if await uow.notification_settings.account(request.user_id) is None:
                raise _unknown_link()
        return request

    async def unsubscribe(self, token: str) -> UnsubscribeRequest:
        """Turn off the mail the link names, at once (the one-click POST of RFC 8058).
        Doing it twice is the same as once; NotFound as for `unsubscribe_request`."""
        request = self.tokens.read(token)
        if request is None:
            raise _unknown_link()
        async with self.uow() as uow:
            if await uow.notification_settings.account(request.user_id) is None:
                raise _unknown_link()
            stored = await uow.notification_settings.get(request.user_id)
            settings = stored or NotificationSettings.defaults(request.user_id)
            await uow.notification_settings.save(settings.without_mail(request.kind))
            await uow.commit()
        return request


@dataclass(frozen=True, slots=True)
class NoticePage:
    notices: list[Notice]
    older: UUID | None  # the cursor of the next older page, if there is one
    unread: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Notices:
    """The signed-in user's own in-app notices; another user's read as not found."""

    uow: Callable[[], MailUnitOfWork]
    clock: Callable[[], datetime]

    async def page(
        self, user: User, *, before: UUID | None = None, limit: int = NOTICES_PER_PAGE
    ) -> NoticePage:
        """A page of notices, newest first, older than the notice `before` if given."""
        if not 1 <= limit <= MAX_NOTICES_PER_PAGE:
            raise ValidationError(
                f"Ask for 1 to {MAX_NOTICES_PER_PAGE} notices at a time.", code="invalid_limit"
            )
        async with self.uow() as uow:
            found = await uow.notices.list_for(user.id, before=before, limit=limit + 1)
            unread = await uow.notices.count_unread(user.id)
        older = found[limit - 1].id if len(found) > limit else None
        return NoticePage(found[:limit], older, unread)

    async def unread_count(self, user: User) -> int:
        """How many notices the user has not read (the number in the navigation)."""
        async with self.uow() as uow:
            return await uow.notices.count_unread(user.id)

    async def mark_read(self, user: User, notice_id: UUID) -> None:
        """NotFound for a notice that is not the user's."""
        async with self.uow() as uow:
            if not await uow.notices.mark_read(user.id, notice_id, at=self.clock()):
                raise NotFound("There is no such notice.", code="notice_not_found")
            await uow.commit()

    async def mark_all_read(self, user: User) -> int:
        async with self.uow() as uow:
            marked = await uow.notices.mark_all_read(user.id, at=self.clock())
            await uow.commit()
        return marked
