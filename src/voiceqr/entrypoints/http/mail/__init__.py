"""Mail: the development mailbox (mail itself is sent by the worker)."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.kit.auth import optional_user
from voiceqr.entrypoints.http.mail.pages import mailbox_message_page, mailbox_page

api_router = None
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"viewer": Provide(optional_user)},
    route_handlers=[mailbox_page, mailbox_message_page],
)

__all__ = ["api_router", "pages_router"]
