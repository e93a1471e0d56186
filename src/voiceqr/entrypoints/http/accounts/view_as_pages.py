"""Stopping a view: the banner's "Stop" button while staff view the site as a user.

It is no backoffice route: while the view lasts the request acts as the viewed user,
whom the backoffice would refuse. It is one of the two changes a view lets through.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.kit.auth import SESSION_COOKIE, STOP_VIEWING_PATH, client_address


@post(STOP_VIEWING_PATH, status_code=303)
async def stop_viewing(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Redirect:
    """Back to the viewed user's page in the backoffice, acting as oneself again."""
    token = request.cookies.get(SESSION_COOKIE)
    ip = client_address(request, platform)
    viewed = await platform.accounts.view_as.stop(token, ip=ip) if token else None
    return Redirect(f"/admin/users/{viewed}" if viewed else "/", status_code=303)
