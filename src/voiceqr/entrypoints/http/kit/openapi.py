"""The OpenAPI schema tells clients the truth: every problem, and bodies closed to extras.

Every problem an operation can answer is listed, as it answers it.

Each error is an RFC 9457 problem detail (`application/problem+json`, see
problems.py). What an operation can answer follows from what it is: it takes a body
(400, 413, 415, 422), it has path parameters (404), it needs a signed-in caller (401,
403), it is a write (403: a cross-site cookie write). What only some operations
answer (409, 410, 416, 429, 502, 503) they declare with `responses=problems(...)`.
`document_problems` runs once on the built app, before the schema is generated.

A request body that refuses unknown fields (`forbid_unknown_fields=True`) says so with
`additionalProperties: false`, which Litestar leaves out.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Schema
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

from voiceqr.entrypoints.http.kit.problems import PROBLEM_JSON


class FieldError(msgspec.Struct):
    message: str
    key: str | None = None
    source: str | None = None


class Problem(msgspec.Struct):
    """An RFC 9457 problem detail; `code` says which problem, for programs."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET  # malformed requests only


WHAT = {
    400: "Malformed request: a parameter or the body does not match the schema "
    "(`malformed_request`, with `errors`).",
    401: "Not signed in, or the session or API key is not valid (`sign_in_required`, "
    "`authentication_failed`, `api_key_invalid`).",
    403: "Not allowed: the role, the API key's scopes (`api_key_scope_missing`, "
    "`api_key_not_allowed`), or a cookie write from another site (`cross_site_request`).",
    404: "Not found, or not yours (`not_found` and more specific codes).",
    409: "Conflicts with the current state (for example `generation_busy`).",
    410: "Gone: the audio behind this code was removed (`audio_removed`).",
    413: "The request body is too large.",
    415: "The body is not `application/json` (`unsupported_media_type`).",
    416: "The requested byte range is outside the file (`range_not_satisfiable`).",
    422: "Well-formed but not acceptable: a rule the schema cannot state (a wrong "
    "password, an expired link, a cursor we did not give out...). `code` says which.",
    429: "Too many attempts (`rate_limited`); `Retry-After` says when to try again.",
    451: "Not available: moderation keeps the audio behind this code from the public "
    "for now (`audio_withheld`).",
    502: "A service we rely on failed (the speech provider).",
    503: "Temporarily unavailable (audio storage, or the provider's quota).",
}

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGNED_IN = frozenset({"user", "staff", "session"})
VIEWER = "viewer"  # signed in or not; a bad session or API key is still a 401
NOT_INPUT = frozenset({"self", "request", "platform", "data", VIEWER, *SIGNED_IN})


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """`responses=` for the problems only this operation answers."""
    return {status: _spec(status) for status in statuses}


def _spec(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=WHAT[status],
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def _inferred(handler: HTTPRouteHandler, path: str) -> set[int]:
    parameters = handler.parsed_fn_signature.parameters
    statuses: set[int] = set()
    if set(parameters) - NOT_INPUT:
        statuses |= {400, 422}  # query or path parameters, read and then judged
    if "data" in parameters:
        statuses |= {400, 413, 415, 422}
    if "{" in path:
        statuses.add(404)
    dependencies = set(handler.resolve_dependencies())
    if SIGNED_IN & dependencies:
        statuses |= {401, 403}
    if VIEWER in dependencies:
        statuses.add(401)
    if handler.http_methods & WRITES:
        statuses.add(403)
    return statuses


def document_problems(app: Litestar) -> None:
    """Give every API operation its problem responses (declared ones win)."""
    for route in app.routes:
        if not (isinstance(route, HTTPRoute) and route.path.startswith("/api/")):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            declared: dict[int, Any] = dict(handler.responses or {})
            for status in sorted(_inferred(handler, route.path)):
                declared.setdefault(status, _spec(status))
            handler.responses = declared


class ClosedStructSchemas(StructSchemaPlugin):
    """Litestar's msgspec schemas, with `additionalProperties: false` where a Struct
    refuses unknown fields (litestar 2.25 has no setting for it)."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        config: msgspec.structs.StructConfig = field_definition.type_.__struct_config__
        if config.forbid_unknown_fields:
            schema.additional_properties = False
        return schema
