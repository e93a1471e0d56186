"""Audio served by the app itself (local storage), with HTTP Range support.

Browsers, and iOS Safari above all, fetch audio in ranges and refuse to seek (or
even play) when the server ignores Range, so this answers 206 with Content-Range.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from voiceqr.bootstrap import Platform
from voiceqr.domain.authz import Permission, can
from voiceqr.domain.shared.errors import ValidationError, Withheld
from voiceqr.entrypoints.http.kit.auth import session_user

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def parse_range(header: str | None) -> tuple[int, int | None] | None:
    """(start, end) of a single `bytes=` range; None when absent or not one we serve.

    A suffix range (`bytes=-500`) is returned as (-500, None).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        return -int(last), None
    start, end = int(first), int(last) if last else None
    if end is not None and end < start:
        return None
    return start, end


@get("/media/{key:path}")
async def serve_media(
    key: FromPath[str], request: Request[Any, Any, Any], platform: NamedDependency[Platform]
) -> Response[Any]:
    if not platform.playback.serves_media:  # the audio is in S3: its URLs point there
        raise NotFoundException()
    key = key.lstrip("/")
    suffix = key[key.rfind(".") :] if "." in key else ""
    media_type = CONTENT_TYPES.get(suffix, "application/octet-stream")
    withheld = False
    try:
        await platform.playback.playback.check_audio(key)
    except Withheld:
        # Moderators still hear what they review; nobody else does. Only then is the
        # session looked up: public audio asks nothing of its listeners.
        viewer = await session_user(request, platform)
        if viewer is None or not can(viewer, Permission.MODERATE_CONTENT):
            raise
        withheld = True
    wanted = parse_range(request.headers.get("range"))
    start, end = (0, None) if wanted is None else wanted
    if start < 0:
        total = (await platform.playback.media_range(key, 0, 0, withheld_too=True)).total
        start, end = max(0, total + start), None
    try:
        piece = await platform.playback.media_range(key, start, end, withheld_too=True)
    except ValidationError as exc:
        if exc.code != "range_not_satisfiable":
            raise
        total = (await platform.playback.media_range(key, 0, 0, withheld_too=True)).total
        return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{total}"})
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(piece.end - piece.start + 1),
        # Keys are never rewritten (a regeneration writes a new key), so cache for good;
        # withheld audio heard by a moderator is kept by nobody.
        "Cache-Control": "no-store" if withheld else "public, max-age=31536000, immutable",
    }
    status = 200
    if wanted is not None:
        status = 206
        headers["Content-Range"] = f"bytes {piece.start}-{piece.end}/{piece.total}"
    return Stream(piece.chunks, status_code=status, media_type=media_type, headers=headers)
