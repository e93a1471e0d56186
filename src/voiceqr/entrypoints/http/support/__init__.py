"""Support tickets, the users' side: the help pages and /api/v1/support/tickets (the
staff queue is in the backoffice)."""

from litestar import Router
from litestar.di import Provide

from voiceqr.entrypoints.http.kit.auth import current_user
from voiceqr.entrypoints.http.support import pages
from voiceqr.entrypoints.http.support.api import TicketController

api_router = Router(path="/", route_handlers=[TicketController])
pages_router = Router(
    path="/",
    include_in_schema=False,
    dependencies={"user": Provide(current_user)},
    route_handlers=[
        pages.help_page,
        pages.new_ticket_page,
        pages.new_ticket_submit,
        pages.ticket_page,
        pages.reply_submit,
    ],
)

__all__ = ["api_router", "pages_router"]
