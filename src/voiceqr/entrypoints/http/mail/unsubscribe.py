"""One-click unsubscribe (RFC 8058, RFC 2369): the link of every optional mail.

GET shows what the link would turn off and a button: it never changes anything, as
mail scanners open every link they find. POST turns that mail off at once, with no
sign-in, no cookie and no CSRF token (mail clients post `List-Unsubscribe=One-Click`
themselves); the signed token is the credential. A forged or stale token is a 404.
"""

from __future__ import annotations

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.kit.forms import page


@get("/unsubscribe/{token:str}")
async def unsubscribe_page(
    token: FromPath[str], viewer: NamedDependency[User | None], platform: NamedDependency[Platform]
) -> Template:
    request = await platform.mail.preferences.unsubscribe_request(token)
    return page(
        "mail/unsubscribe.html", user=viewer, token=token, kind=request.kind.label, done=False
    )


@post("/unsubscribe/{token:str}", status_code=200, exclude_from_csrf=True)
async def unsubscribe_submit(
    token: FromPath[str], viewer: NamedDependency[User | None], platform: NamedDependency[Platform]
) -> Template:
    """The one-click POST (body `List-Unsubscribe=One-Click`) or the page's button: the
    body is not needed to act, so either unsubscribes."""
    request = await platform.mail.preferences.unsubscribe(token)
    return page(
        "mail/unsubscribe.html", user=viewer, token=token, kind=request.kind.label, done=True
    )
