"""The page a printed QR code opens. Every scan lands here, so it stays lean: the code
comes from the playback cache, the scan goes to the event log, and the HTML of each page
is rendered (and gzipped) once and kept as bytes while the page stays the same.

And, for the owner, how far the listens of a code went (listen-through)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urljoin
from uuid import UUID

from litestar import MediaType, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.response.base import ASGIResponse

from voiceqr.application.playback.playback import PlaybackPage
from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.domain.playback.listening import read_along
from voiceqr.domain.shared.errors import Gone, Withheld
from voiceqr.entrypoints.http.kit.auth import current_user
from voiceqr.entrypoints.http.kit.forms import page
from voiceqr.entrypoints.http.kit.headers import NO_STORE
from voiceqr.entrypoints.http.playback.schemas import listen_through_out
from voiceqr.entrypoints.http.playback.visits import counted_visit

# The page counts a scan each time it is served, so no one may keep it (not the browser
# cache, not a CDN); the audio it points to is cached for good (see media.py).
_RENDERED_LIMIT = 10_000
ACCOUNT = "account_deleted"  # the code's account was deleted, with everything it made
MODERATION = "removed_by_moderation"  # removed for breaking the rules
# Every phone asks for gzip: compressing the page on each scan cost more than the rest of
# the request. The app's compression sends these bytes as they are (kit/compression.py).
_GZIPPED = {**NO_STORE, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
_PLAIN = {**NO_STORE, "Vary": "Accept-Encoding"}


@dataclass(frozen=True, slots=True)
class _Rendered:
    plain: ASGIResponse
    gzipped: ASGIResponse


_rendered: dict[PlaybackPage, _Rendered] = {}


@get("/p/{code:str}", media_type=MediaType.HTML)
async def playback_page(
    code: FromPath[str], request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> ASGIResponse:
    """The page a printed QR code opens; counts the scan (410 once its owner deleted it)."""
    try:
        playback = platform.playback.playback
        visit = await counted_visit(request, platform)
        shown = await (playback.page(code) if visit is None else playback.scan(code, visit))
    except Gone as gone:
        removed = page(
            "playback/playback_removed.html",
            410,
            account_deleted=gone.code == ACCOUNT,
            by_moderation=gone.code == MODERATION,
        )
        return removed.to_asgi_response(None, request)
    except Withheld:
        # Quarantined by moderation: a neutral notice, no audio, no player, no count.
        return page("playback/playback_withheld.html", 451).to_asgi_response(None, request)
    rendered = _rendered.get(shown) or _render(request, shown, platform)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return rendered.gzipped
    return rendered.plain


def _render(request: Request[Any, Any, Any], shown: PlaybackPage, platform: Platform) -> _Rendered:
    engine = cast(JinjaTemplateEngine, request.app.template_engine)  # set in app.py
    template = engine.get_template("playback/playback.html")
    audio_url = shown.audio_url
    # A shared link's preview is made by a crawler elsewhere: its addresses are absolute.
    page_url = platform.generations.playback_url(shown.code)
    html = template.render(
        page=shown,
        ready=audio_url is not None,
        # Once per page, not per scan: the sentences with their place in the audio, for
        # the player to highlight the one being heard (the provider gives no timings).
        sentences=read_along(shown.text),
        page_url=page_url,
        absolute_audio_url=urljoin(page_url, audio_url) if audio_url else None,
    ).encode()
    if len(_rendered) >= _RENDERED_LIMIT:
        _rendered.clear()
    # Kept as the responses themselves, headers encoded: an ASGIResponse holds no state of
    # its own once made, so every request sends the same one. The handler returns it as an
    # ASGI app, which Litestar sends as it is (no Response to build and encode per scan).
    rendered = _Rendered(
        plain=ASGIResponse(body=html, media_type=MediaType.HTML, headers=_PLAIN),
        gzipped=ASGIResponse(
            body=gzip.compress(html, mtime=0), media_type=MediaType.HTML, headers=_GZIPPED
        ),
    )
    _rendered[shown] = rendered
    return rendered


@get(
    "/generations/{generation_id:uuid}/listen-through", dependencies={"user": Provide(current_user)}
)
async def listen_through_page(
    generation_id: FromPath[UUID], platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The owner's listen-through of a code: the totals, the retention curve with its
    table, and the transcript sentence by sentence with the share that heard each."""
    stats = await platform.playback.playback.listen_through(user, generation_id)
    return page(
        "playback/listen_through.html",
        user=user,
        generation_id=generation_id,
        stats=listen_through_out(stats),
    )
