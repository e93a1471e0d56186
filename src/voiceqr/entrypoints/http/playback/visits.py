"""What a request to a public code says of its visitor, for counting (see Visit)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from voiceqr.application.playback.playback import Visit
from voiceqr.bootstrap import Platform
from voiceqr.entrypoints.http.kit.auth import client_of, session_user, signed_in


async def visit_of(request: Request[Any, Any, Any], platform: Platform) -> Visit:
    """The visit; the signed-in user is looked up only when the request carries a
    session (an anonymous visitor, almost every scan, costs no lookup)."""
    client = client_of(request, platform)
    viewer = await session_user(request, platform)
    query = request.query_params
    headers = request.headers
    return Visit(
        address=client.ip,
        user_agent=client.user_agent,
        country=client.country,
        referer=headers.get("referer", ""),
        languages=headers.get("accept-language", ""),
        source=query.get("s"),
        placement=query.get("p"),
        viewer_id=viewer.id if viewer is not None else None,
    )


async def counted_visit(request: Request[Any, Any, Any], platform: Platform) -> Visit | None:
    """The visit to count; None while staff view the site as a user: their visit is
    neither the user's own view nor a scan by someone else, so it is not counted."""
    visit = await visit_of(request, platform)
    if visit.viewer_id is None:
        return visit  # no session (nearly every scan): no view-as either
    viewing = signed_in(request)  # resolved by `visit_of`
    return None if viewing is not None and viewing.read_only else visit
