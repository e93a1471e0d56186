"""The front door, `/`: the landing page for visitors (what voiceqr does, a real code
that plays, the way to sign up) and, for the signed-in, their dashboard (the newest
generations and a "New" button)."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urljoin

from litestar import Response, get
from litestar.di import NamedDependency, Provide
from litestar.response import Template

from voiceqr.bootstrap import Platform
from voiceqr.domain.accounts.users import User
from voiceqr.entrypoints.http.generations.views import generation_outs
from voiceqr.entrypoints.http.kit.auth import optional_user
from voiceqr.entrypoints.http.kit.forms import page

DASHBOARD_SIZE = 5
EXAMPLE_QR_SIZE = 200


@get("/", dependencies={"viewer": Provide(optional_user)})
async def home(
    viewer: NamedDependency[User | None], platform: NamedDependency[Platform]
) -> Response[Any]:
    """The landing page, or the signed-in user's dashboard."""
    if viewer is None:
        return await _landing(platform)
    newest = await platform.generations.generations.history(viewer, limit=DASHBOARD_SIZE)
    return page(
        "generations/dashboard.html",
        user=viewer,
        items=await generation_outs(platform, newest.items),
        more=newest.next_cursor is not None,
    )


async def _landing(platform: Platform) -> Template:
    """The same page for every visitor: the example is the gallery's first voice's sample
    (made by the voice itself when the gallery is seeded), and its code opens that audio,
    so a phone that scans the screen hears it."""
    example = None
    found = await platform.voices.example()
    if found is not None:
        voice, url = found
        audio = urljoin(platform.settings.public_base_url.rstrip("/") + "/", url)
        svg = platform.generations.qr_svg(audio, size=EXAMPLE_QR_SIZE)
        example = {
            "voice": voice.name,
            "audio_url": url,
            "scanned_url": audio,
            "qr": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
        }
    return Template("generations/landing.html", context={"example": example, "user": None})
