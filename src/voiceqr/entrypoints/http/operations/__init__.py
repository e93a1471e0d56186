"""Operations: the liveness and readiness probes (outside the API and its schema)."""

from litestar import Router

from voiceqr.entrypoints.http.operations.health import healthz, readyz

api_router = None
pages_router = Router(path="/", include_in_schema=False, route_handlers=[healthz, readyz])

__all__ = ["api_router", "pages_router"]
