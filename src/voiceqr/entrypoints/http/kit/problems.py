"""The one place errors become RFC 9457 problem details (JSON) or error pages (HTML)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from voiceqr.domain.compliance.documents import TermsNotAccepted
from voiceqr.domain.shared.errors import DomainError, ErrorCategory

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_BY_CATEGORY = {
    ErrorCategory.VALIDATION: 422,
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.PERMISSION: 403,
    ErrorCategory.AUTHENTICATION: 401,
    ErrorCategory.PROVIDER: 502,
    ErrorCategory.QUOTA: 503,
    ErrorCategory.STORAGE: 503,
    ErrorCategory.SYSTEM: 500,
    ErrorCategory.RATE_LIMITED: 429,
    ErrorCategory.OUT_OF_RANGE: 416,
    ErrorCategory.GONE: 410,
    ErrorCategory.WITHHELD: 451,  # Unavailable For Legal Reasons (RFC 7725)
    ErrorCategory.TOO_LARGE: 413,
}

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    429: "Too many requests",
    451: "Not available",
    413: "Request too large",
    415: "Unsupported media type",
    416: "Range not satisfiable",
    422: "Invalid input",
    500: "Something went wrong",
    502: "A service we rely on failed",
    503: "Temporarily unavailable",
}


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/healthz", "/readyz"):
        return False
    return "text/html" in request.headers.get("accept", "")


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    code: str,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    title = TITLES.get(status, "Error")
    if _wants_html(request):
        return Template(
            "kit/error.html",
            context={"status": status, "title": title, "detail": detail},
            status_code=status,
            media_type=MediaType.HTML,
            headers=headers,
        )
    body: dict[str, Any] = {
        "type": f"urn:voiceqr:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
    }
    if extra:
        body.update(extra)
    if status == 401:
        # RFC 6750: tell API clients how to authenticate (a session cookie also works).
        headers = {**(headers or {}), "WWW-Authenticate": 'Bearer realm="voiceqr"'}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _asked_for(request: Request[Any, Any, Any]) -> str:
    """The page asked for, to come back to after signing in or accepting the terms."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def accept_terms_first(target: str) -> str:
    """The acceptance page, which goes on to `target` once the new versions are accepted."""
    return f"/legal/accept?{urlencode({'next': target}, safe='/')}"


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error, for the API and the web forms alike."""
    return STATUS_BY_CATEGORY.get(exc.category, 500)


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, TermsNotAccepted) and _wants_html(request):
        # A page asked by a user with new terms to accept: the acceptance page first,
        # then that page again (a form posted meanwhile is not: its page has gone).
        target = _asked_for(request) if request.method == "GET" else "/generations/new"
        return Redirect(accept_terms_first(target), status_code=303)
    status = status_of(exc)
    headers = None
    if status == 429:
        headers = {"Retry-After": str(getattr(exc, "retry_after", 60))}
    if status >= 500:
        log.error("request failed: %s (%s)", exc.code, exc.detail or exc.message)
    return problem(request, status, exc.message, code=exc.code, headers=headers)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    detail = str(exc.detail or "The request is not valid.")
    if errors:
        detail = "; ".join(
            f"{e.get('key') or 'body'}: {e.get('message')}" if isinstance(e, dict) else str(e)
            for e in errors
        )
    return problem(request, 400, detail, code="malformed_request", extra={"errors": errors})


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and _wants_html(request):
        return Redirect(f"/signin?{urlencode({'next': _asked_for(request)}, safe='/')}")
    return problem(
        request,
        exc.status_code,
        str(exc.detail),
        code=TITLES.get(exc.status_code, "error").lower().replace(" ", "_").replace("-", "_"),
        headers=exc.headers,
    )


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; try again in a moment.",
        code="internal_error",
    )


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
