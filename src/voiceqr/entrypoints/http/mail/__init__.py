"""Mail: the one-click unsubscribe links, the in-app notices, and the development
mailbox (mail itself is sent by the worker)."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.kit.auth import optional_user
from voiceqr.entrypoints.http.mail.notices import (
    NoticesController,
    notice_read_submit,
    notices_page,
    notices_read_all_submit,
)
from voiceqr.entrypoints.http.mail.pages import mailbox_message_page, mailbox_page
from voiceqr.entrypoints.http.mail.unsubscribe import unsubscribe_page, unsubscribe_submit

api_router = Router(path="/", route_handlers=[NoticesController])
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"viewer": Provide(optional_user)},
    route_handlers=[
        mailbox_page,
        mailbox_message_page,
        notices_page,
        notice_read_submit,
        notices_read_all_submit,
        unsubscribe_page,
        unsubscribe_submit,
    ],
)

__all__ = ["api_router", "pages_router"]
