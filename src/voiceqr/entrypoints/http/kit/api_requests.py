"""What the JSON API accepts: JSON bodies only, and cookie writes only from our own pages.

Cross-site request forgery through the API: a page on another site (a sibling
subdomain counts as the same site, so `SameSite=Lax` does not stop it) could send a
JSON text as `text/plain`, which needs no CORS preflight, and the browser would
attach the session cookie. So a body must be declared `application/json` (415
otherwise), and a write that carries the session cookie must come from our own
origin, as the browser tells it in `Sec-Fetch-Site` or `Origin` (403 otherwise).
API-key requests (`Authorization: Bearer`) are not sent by browsers on their own and
are not checked for their origin.

A route that takes file uploads says so in its opt (`ACCEPTS_FILES`) and may also be sent
`multipart/form-data`; its cookie writes are held to the same origin check.

It also answers OPTIONS: Litestar's own answer lists only the methods of the first
controller that registered a path (generations are served by several).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.response.base import ASGIResponse
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Receive, Scope, Send

from voiceqr.domain.shared.errors import PermissionDenied
from voiceqr.entrypoints.http.kit.auth import SESSION_COOKIE

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
MULTIPART = "multipart/form-data"
ACCEPTS_FILES = "accepts_files"  # route opt: the route also takes multipart/form-data


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, as browsers write it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class JsonApiRequests(ASGIMiddleware):
    """Refuses non-JSON bodies (415) and cross-site cookie writes (403) on the API."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, public_base_url: str) -> None:
        self.site = origin_of(public_base_url)
        self._allow: dict[str, str] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope.get("method") == "OPTIONS":
            allow = self._methods(scope["litestar_app"]).get(scope["path_template"], "OPTIONS")
            await ASGIResponse(status_code=204, headers={"Allow": allow})(scope, receive, send)
            return
        if scope.get("method") in WRITES:
            headers = _headers(scope)
            if _has_body(headers):
                media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
                if media_type != JSON and not _takes_files(scope, media_type):
                    raise HTTPException(
                        status_code=415,
                        detail=f"Send the request body as {JSON}.",
                        headers={"Accept": JSON},
                    )
            if _sends_session_cookie(headers) and not _has_bearer(headers):
                self._require_same_origin(headers)
        await next_app(scope, receive, send)

    def _methods(self, app: Litestar) -> dict[str, str]:
        if self._allow is None:
            self._allow = {
                route.path_format: ", ".join(sorted(route.methods))
                for route in app.routes
                if isinstance(route, HTTPRoute)
            }
        return self._allow

    def _require_same_origin(self, headers: dict[str, str]) -> None:
        fetch_site = headers.get("sec-fetch-site")
        origin = headers.get("origin")
        if fetch_site is not None:
            allowed = fetch_site in ("same-origin", "none")
        elif origin is not None:
            allowed = origin.lower() == self.site
        else:
            allowed = True  # not a browser: a browser names the origin of every write
        if not allowed:
            raise PermissionDenied(
                "This request came from another site; use voiceqr's own pages or an API key.",
                code="cross_site_request",
            )


def _takes_files(scope: Scope, media_type: str) -> bool:
    handler = scope.get("route_handler")
    return media_type == MULTIPART and handler is not None and bool(handler.opt.get(ACCEPTS_FILES))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "").strip()
    return "transfer-encoding" in headers or (length not in ("", "0"))


def _sends_session_cookie(headers: dict[str, str]) -> bool:
    return f"{SESSION_COOKIE}=" in headers.get("cookie", "")


def _has_bearer(headers: dict[str, Any]) -> bool:
    scheme = str(headers.get("authorization", "")).strip().partition(" ")[0]
    return scheme.lower() == "bearer"
